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
	Im2col2DBandRows(g, im, col, c0*g.KH*g.KW, c1*g.KH*g.KW, r0, r1)
}

// Im2col2DBandRows is Im2col2DBand for column-matrix rows [q0, q1), row q
// being channel q/(KH·KW) at kernel offset q%(KH·KW): col holds those rows
// of the band, (q1-q0)·(r1-r0)·OutW elements. Splitting a band by rows
// rather than channels balances goroutines on a first layer's 3 channels.
func Im2col2DBandRows(g Geom2D, im, col []float32, q0, q1, r0, r1 int) {
	oh, ow := g.Out()
	if oh <= 0 || ow <= 0 || r1 <= r0 || q1 <= q0 {
		return
	}
	plane := g.H * g.W
	rows := r1 - r0
	width := rows * ow
	k := g.KH * g.KW
	for q := q0; q < q1; q++ {
		c, kh, kw := q/k, q%k/g.KW, q%g.KW
		dst := col[(q-q0)*width : (q-q0+1)*width]
		// Row y of the band is output row r0+y, which reads input row
		// (r0+y)·StrideH + kh·DilH − PadH.
		fillRow(g, im[c*plane:(c+1)*plane], dst, rows, ow, r0*g.StrideH+kh*g.DilH-g.PadH, kw*g.DilW-g.PadW)
	}
}
