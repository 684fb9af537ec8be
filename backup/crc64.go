package backup

import "encoding/binary"

// crc64Poly is the polynomial of Redis's CRC-64 (the "Jones" variant:
// 0xad93d23594c935a9), in the reflected (least significant bit first)
// form its table-driven computation uses. Redis computes it with input
// and output reflected, an initial value of 0 and no final XOR; its check
// value, the CRC of "123456789", is 0xe9c6d914c4b8d9ca.
const crc64Poly = 0x95ac9329ac4bc9b5

// crcTables are the slicing-by-8 tables: crcTables[0] is the classic
// byte-at-a-time table, crcTables[k][b] is the CRC of byte b followed by
// k zero bytes.
var crcTables = func() *[8][256]uint64 {
	var t [8][256]uint64
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ crc64Poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 8; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return &t
}()

// crc64Update returns the CRC-64 of everything crc covered followed by p,
// as Redis's crc64(crc, p, len(p)) does. The CRC of nothing is 0.
func crc64Update(crc uint64, p []byte) uint64 {
	t := crcTables
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}

// trailerCRC computes the CRC-64 of a stream but its last 8 bytes, which
// it keeps: the layout of an RDB file, whose checksum of everything before
// it is its last 8 bytes (little-endian).
type trailerCRC struct {
	crc  uint64
	tail [8]byte
	n    int64 // bytes written
}

func (c *trailerCRC) Write(p []byte) (int, error) {
	held := min(c.n, 8) // bytes of tail in use
	c.n += int64(len(p))
	if len(p) >= 8 {
		c.crc = crc64Update(c.crc, c.tail[:held])
		c.crc = crc64Update(c.crc, p[:len(p)-8])
		copy(c.tail[:], p[len(p)-8:])
		return len(p), nil
	}
	var buf [16]byte
	all := append(append(buf[:0], c.tail[:held]...), p...)
	if over := len(all) - 8; over > 0 {
		c.crc = crc64Update(c.crc, all[:over])
		all = all[over:]
	}
	copy(c.tail[:], all)
	return len(p), nil
}

// verdict returns the CRC of everything but the last 8 bytes, and those 8
// bytes read as a little-endian number; ok is false when fewer than 8
// bytes were written.
func (c *trailerCRC) verdict() (computed, trailer uint64, ok bool) {
	if c.n < 8 {
		return 0, 0, false
	}
	return c.crc, binary.LittleEndian.Uint64(c.tail[:]), true
}
