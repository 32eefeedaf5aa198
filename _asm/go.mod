module github.com/caffetool/caffetool/_asm

go 1.26.8
