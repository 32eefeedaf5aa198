package im2col

// Im2col2DBand fills the part of the column matrix that channels [c0, c1)
// and output rows [r0, r1) produce, laid out as its own matrix: one row per
// (channel, kernel offset) of those channels, one column per output
// position of those rows (width (r1-r0)·OutW). col must hold
// (c1-c0)·KH·KW·(r1-r0)·OutW elements; im is the whole C×H×W image.
//
// A convolution can then run on a band of output rows at a time, with a
// column buffer that fits in cache, and split the band's channels across
// goroutines.
func Im2col2DBand(g Geom2D, im, col []float32, c0, c1, r0, r1 int) {
	oh, ow := g.Out()
	if oh <= 0 || ow <= 0 || r1 <= r0 || c1 <= c0 {
		return
	}
	plane := g.H * g.W
	rows := r1 - r0
	width := rows * ow
	p := 0
	for c := c0; c < c1; c++ {
		src := im[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				dst := col[p : p+width]
				p += width
				// Row y of the band is output row r0+y, which reads input
				// row (r0+y)·StrideH + kh·DilH − PadH.
				fillRow(g, src, dst, rows, ow, r0*g.StrideH+kh*g.DilH-g.PadH, kw*g.DilW-g.PadW)
			}
		}
	}
}
