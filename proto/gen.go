package proto

//go:generate sh gen.sh
