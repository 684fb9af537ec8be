package backup

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Errors a scan of an RDB file reports, wrapped with the detail.
var (
	// ErrNotRDB: the file does not start with "REDIS" and a version.
	ErrNotRDB = errors.New("not an RDB file")
	// ErrChecksum: the CRC-64 of the file does not match its trailer.
	ErrChecksum = errors.New("RDB checksum mismatch")
	// ErrTruncated: the file ends before its EOF opcode and checksum.
	ErrTruncated = errors.New("RDB file truncated")
	// ErrNoChecksum: the file carries no checksum (written with
	// rdbchecksum no, or an RDB version before 5), so it cannot be
	// verified.
	ErrNoChecksum = errors.New("RDB file carries no checksum")
	// ErrCorrupt: the file's structure is broken.
	ErrCorrupt = errors.New("RDB file corrupt")
)

// RDBInfo is what a scan of an RDB file found.
type RDBInfo struct {
	Version      int    // RDB format version: 10 for Redis 7.0, 11 for 7.2, 12 for 7.4
	RedisVersion string // the redis-ver field of the file, when present
	Size         int64  // bytes
	Checksum     uint64 // the CRC-64 trailer, checked
	// KeysCounted is false when the file holds a value type this scanner
	// does not know (a newer Redis): Keys, Expires, Expired and Databases
	// then count only the keys before it. The checksum is checked anyway.
	KeysCounted bool
	Keys        int64         // keys in every database
	Expires     int64         // keys with a TTL
	Expired     int64         // keys whose TTL had passed at the scan's reference time
	Databases   map[int]int64 // keys per database index
}

// ScanRDB reads a whole RDB file from r and checks it: the "REDIS" magic
// and version, its structure, and the CRC-64 trailer. It counts keys per
// database as it goes; keys whose expire time is at or before now count as
// expired (a master drops them when it loads the file). Reading is
// streaming: memory use does not grow with the file.
func ScanRDB(r io.Reader, now time.Time) (RDBInfo, error) {
	crc := &trailerCRC{}
	s := &rdbScanner{r: bufio.NewReaderSize(io.TeeReader(r, crc), 256<<10), now: now.UnixMilli(),
		info: RDBInfo{Databases: map[int]int64{}, KeysCounted: true}}
	err := s.scan()
	if errors.Is(err, errUnknownType) {
		s.info.KeysCounted = false
		err = nil
	}
	// Whatever the structure said, the checksum covers the whole stream.
	if _, derr := io.Copy(io.Discard, s.r); derr != nil && err == nil {
		err = derr
	}
	s.info.Size = crc.n
	computed, trailer, ok := crc.verdict()
	if err != nil {
		if ok && computed != trailer && !errors.Is(err, ErrNotRDB) {
			// The structure broke and the checksum does not match:
			// the content is damaged, and the checksum says so too.
			return s.info, fmt.Errorf("%w: the content does not match the file's CRC-64 (%w)", ErrChecksum, err)
		}
		return s.info, err
	}
	switch {
	case s.info.Version < 5:
		return s.info, fmt.Errorf("%w: version %d predates RDB checksums", ErrNoChecksum, s.info.Version)
	case !ok:
		return s.info, fmt.Errorf("%w: %d bytes", ErrTruncated, crc.n)
	case trailer == 0 && s.sawEOF && s.trailingBytes == 0:
		return s.info, fmt.Errorf("%w (the node runs with rdbchecksum no): turn rdbchecksum on to take verifiable backups", ErrNoChecksum)
	case computed != trailer && s.trailingBytes > 0:
		return s.info, fmt.Errorf("%w: %d bytes follow the end of the RDB content", ErrChecksum, s.trailingBytes)
	case computed != trailer:
		return s.info, fmt.Errorf("%w: the content hashes to %016x but the file says %016x (corrupted or truncated)", ErrChecksum, computed, trailer)
	case s.trailingBytes > 0:
		return s.info, fmt.Errorf("%w: %d bytes after the checksum", ErrCorrupt, s.trailingBytes)
	}
	s.info.Checksum = trailer
	return s.info, nil
}

// errUnknownType stops key counting at a type this scanner does not know.
var errUnknownType = errors.New("unknown RDB type")

// RDB opcodes and value types, as in Redis's rdb.h.
const (
	opSlotInfo     = 244
	opFunction2    = 245
	opFunctionPre  = 246
	opModuleAux    = 247
	opIdle         = 248
	opFreq         = 249
	opAux          = 250
	opResizeDB     = 251
	opExpireTimeMS = 252
	opExpireTime   = 253
	opSelectDB     = 254
	opEOF          = 255

	typeString          = 0
	typeList            = 1
	typeSet             = 2
	typeZset            = 3
	typeHash            = 4
	typeZset2           = 5
	typeModule2         = 7
	typeHashZipmap      = 9
	typeListZiplist     = 10
	typeSetIntset       = 11
	typeZsetZiplist     = 12
	typeHashZiplist     = 13
	typeListQuicklist   = 14
	typeStreamLP        = 15
	typeHashListpack    = 16
	typeZsetListpack    = 17
	typeListQuicklist2  = 18
	typeStreamLP2       = 19
	typeSetListpack     = 20
	typeStreamLP3       = 21
	typeHashMetaPreGA   = 22
	typeHashLPExPreGA   = 23
	typeHashMetadata    = 24
	typeHashListpackEx  = 25
	moduleOpcodeEOF     = 0
	moduleOpcodeSint    = 1
	moduleOpcodeUint    = 2
	moduleOpcodeFloat   = 3
	moduleOpcodeDouble  = 4
	moduleOpcodeString  = 5
	maxAuxValueRetained = 64
)

// rdbScanner walks an RDB file's structure, skipping values.
type rdbScanner struct {
	r             *bufio.Reader
	now           int64 // reference time, Unix milliseconds
	info          RDBInfo
	buf           [8]byte
	sawEOF        bool
	trailingBytes int64
}

func (s *rdbScanner) scan() error {
	var head [9]byte
	if _, err := io.ReadFull(s.r, head[:]); err != nil {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("reading the header: %w", err) // the source's, or the store's (a tee)
		}
		return fmt.Errorf("%w: too short for the header", ErrNotRDB)
	}
	if string(head[:5]) != "REDIS" {
		return fmt.Errorf("%w: it starts with %q, not \"REDIS\"", ErrNotRDB, head[:5])
	}
	v, err := strconv.Atoi(string(head[5:]))
	if err != nil || v < 1 {
		return fmt.Errorf("%w: bad version %q", ErrNotRDB, head[5:])
	}
	s.info.Version = v
	db, expire := 0, int64(-1)
	for {
		t, err := s.byte()
		if err != nil {
			return err
		}
		switch t {
		case opEOF:
			if v >= 5 {
				if err := s.skip(8); err != nil {
					return err
				}
			}
			s.sawEOF = true
			n, _ := io.Copy(io.Discard, s.r)
			s.trailingBytes = n
			return nil
		case opSelectDB:
			n, err := s.length()
			if err != nil {
				return err
			}
			if n > math.MaxInt32 {
				return fmt.Errorf("%w: database index %d", ErrCorrupt, n)
			}
			db = int(n)
		case opResizeDB:
			if err := s.lengths(2); err != nil {
				return err
			}
		case opAux:
			k, err := s.smallString()
			if err != nil {
				return err
			}
			val, err := s.smallString()
			if err != nil {
				return err
			}
			if k == "redis-ver" {
				s.info.RedisVersion = val
			}
		case opExpireTime:
			if err := s.full(4); err != nil {
				return err
			}
			expire = int64(binary.LittleEndian.Uint32(s.buf[:4])) * 1000
		case opExpireTimeMS:
			if err := s.full(8); err != nil {
				return err
			}
			expire = int64(binary.LittleEndian.Uint64(s.buf[:8]))
		case opFreq:
			if err := s.skip(1); err != nil {
				return err
			}
		case opIdle:
			if err := s.lengths(1); err != nil {
				return err
			}
		case opModuleAux:
			// module id, when-opcode, when, then annotated module data.
			if err := s.lengths(3); err != nil {
				return err
			}
			if err := s.moduleValue(); err != nil {
				return err
			}
		case opFunction2:
			if err := s.skipString(); err != nil {
				return err
			}
		case opSlotInfo:
			if err := s.lengths(3); err != nil {
				return err
			}
		case opFunctionPre:
			return fmt.Errorf("%w: opcode %d (Redis 7.0 release candidate functions)", errUnknownType, t)
		default:
			if err := s.skipString(); err != nil { // the key
				return err
			}
			if err := s.value(t); err != nil {
				return err
			}
			s.info.Keys++
			s.info.Databases[db]++
			if expire >= 0 {
				s.info.Expires++
				if expire <= s.now {
					s.info.Expired++
				}
			}
			expire = -1
		}
	}
}

// value skips one value of type t.
func (s *rdbScanner) value(t byte) error {
	switch t {
	case typeString, typeHashZipmap, typeListZiplist, typeSetIntset, typeZsetZiplist, typeHashZiplist,
		typeHashListpack, typeZsetListpack, typeSetListpack, typeHashLPExPreGA:
		return s.skipString()
	case typeHashListpackEx:
		if err := s.skip(8); err != nil {
			return err
		}
		return s.skipString()
	case typeList, typeSet, typeListQuicklist:
		return s.strings(1)
	case typeHash:
		return s.strings(2)
	case typeZset:
		n, err := s.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			if err := s.skipString(); err != nil {
				return err
			}
			l, err := s.byte() // an old-style double: length byte, or 253..255 for NaN and infinities
			if err != nil {
				return err
			}
			if l < 253 {
				if err := s.skip(uint64(l)); err != nil {
					return err
				}
			}
		}
		return nil
	case typeZset2:
		n, err := s.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			if err := s.skipString(); err != nil {
				return err
			}
			if err := s.skip(8); err != nil {
				return err
			}
		}
		return nil
	case typeListQuicklist2:
		n, err := s.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			if err := s.lengths(1); err != nil { // container kind
				return err
			}
			if err := s.skipString(); err != nil {
				return err
			}
		}
		return nil
	case typeModule2:
		if err := s.lengths(1); err != nil { // module id
			return err
		}
		return s.moduleValue()
	case typeStreamLP, typeStreamLP2, typeStreamLP3:
		return s.stream(t)
	case typeHashMetadata, typeHashMetaPreGA:
		if t == typeHashMetadata {
			if err := s.skip(8); err != nil { // minimum expire time
				return err
			}
		}
		n, err := s.length()
		if err != nil {
			return err
		}
		for ; n > 0; n-- {
			if err := s.lengths(1); err != nil { // the field's TTL
				return err
			}
			if err := s.strings2(); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: value type %d", errUnknownType, t)
}

// stream skips a stream value (types 15, 19 and 21).
func (s *rdbScanner) stream(t byte) error {
	n, err := s.length() // listpacks: node key and listpack each
	if err != nil {
		return err
	}
	for ; n > 0; n-- {
		if err := s.strings2(); err != nil {
			return err
		}
	}
	meta := 3 // length, last id (ms, seq)
	if t >= typeStreamLP2 {
		meta += 5 // first id, max deleted id, entries added
	}
	if err := s.lengths(meta); err != nil {
		return err
	}
	groups, err := s.length()
	if err != nil {
		return err
	}
	for ; groups > 0; groups-- {
		if err := s.skipString(); err != nil { // name
			return err
		}
		fields := 2 // last id
		if t >= typeStreamLP2 {
			fields++ // entries read
		}
		if err := s.lengths(fields); err != nil {
			return err
		}
		pel, err := s.length()
		if err != nil {
			return err
		}
		for ; pel > 0; pel-- {
			if err := s.skip(16 + 8); err != nil { // id, delivery time
				return err
			}
			if err := s.lengths(1); err != nil { // delivery count
				return err
			}
		}
		consumers, err := s.length()
		if err != nil {
			return err
		}
		for ; consumers > 0; consumers-- {
			if err := s.skipString(); err != nil { // name
				return err
			}
			times := uint64(8) // seen time
			if t >= typeStreamLP3 {
				times += 8 // active time
			}
			if err := s.skip(times); err != nil {
				return err
			}
			pel, err := s.length()
			if err != nil {
				return err
			}
			if pel > math.MaxInt64/16 {
				return fmt.Errorf("%w: consumer PEL of %d entries", ErrCorrupt, pel)
			}
			if err := s.skip(pel * 16); err != nil {
				return err
			}
		}
	}
	return nil
}

// moduleValue skips annotated module data up to its EOF opcode.
func (s *rdbScanner) moduleValue() error {
	for {
		op, err := s.length()
		if err != nil {
			return err
		}
		switch op {
		case moduleOpcodeEOF:
			return nil
		case moduleOpcodeSint, moduleOpcodeUint:
			err = s.lengths(1)
		case moduleOpcodeFloat:
			err = s.skip(4)
		case moduleOpcodeDouble:
			err = s.skip(8)
		case moduleOpcodeString:
			err = s.skipString()
		default:
			return fmt.Errorf("%w: module opcode %d", ErrCorrupt, op)
		}
		if err != nil {
			return err
		}
	}
}

// length reads a length; encoded says the length is a string encoding
// (RDB_ENCVAL) rather than a length.
func (s *rdbScanner) lengthEnc() (n uint64, encoded bool, err error) {
	b, err := s.byte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false, nil
	case 1:
		b2, err := s.byte()
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3f)<<8 | uint64(b2), false, nil
	case 3:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case 0x80:
		if err := s.full(4); err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(s.buf[:4])), false, nil
	case 0x81:
		if err := s.full(8); err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(s.buf[:8]), false, nil
	}
	return 0, false, fmt.Errorf("%w: bad length byte %#x", ErrCorrupt, b)
}

func (s *rdbScanner) length() (uint64, error) {
	n, enc, err := s.lengthEnc()
	if err == nil && enc {
		err = fmt.Errorf("%w: an encoded string where a length belongs", ErrCorrupt)
	}
	return n, err
}

// lengths skips k lengths.
func (s *rdbScanner) lengths(k int) error {
	for range k {
		if _, _, err := s.lengthEnc(); err != nil {
			return err
		}
	}
	return nil
}

// skipString skips one string in any of its encodings.
func (s *rdbScanner) skipString() error {
	n, enc, err := s.lengthEnc()
	if err != nil {
		return err
	}
	if !enc {
		return s.skip(n)
	}
	switch n {
	case 0:
		return s.skip(1)
	case 1:
		return s.skip(2)
	case 2:
		return s.skip(4)
	case 3: // LZF: compressed length, uncompressed length, data
		clen, err := s.length()
		if err != nil {
			return err
		}
		if _, err := s.length(); err != nil {
			return err
		}
		return s.skip(clen)
	}
	return fmt.Errorf("%w: string encoding %d", ErrCorrupt, n)
}

// smallString reads a string, such as an aux field; integers come back in
// decimal, and a long or compressed string is skipped and returned empty.
func (s *rdbScanner) smallString() (string, error) {
	n, enc, err := s.lengthEnc()
	if err != nil {
		return "", err
	}
	if enc {
		switch n {
		case 0:
			if err := s.full(1); err != nil {
				return "", err
			}
			return strconv.Itoa(int(int8(s.buf[0]))), nil
		case 1:
			if err := s.full(2); err != nil {
				return "", err
			}
			return strconv.Itoa(int(int16(binary.LittleEndian.Uint16(s.buf[:2])))), nil
		case 2:
			if err := s.full(4); err != nil {
				return "", err
			}
			return strconv.Itoa(int(int32(binary.LittleEndian.Uint32(s.buf[:4])))), nil
		case 3:
			clen, err := s.length()
			if err != nil {
				return "", err
			}
			if _, err := s.length(); err != nil {
				return "", err
			}
			return "", s.skip(clen)
		}
		return "", fmt.Errorf("%w: string encoding %d", ErrCorrupt, n)
	}
	if n > maxAuxValueRetained {
		return "", s.skip(n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(s.r, b); err != nil {
		return "", truncated(err)
	}
	return string(b), nil
}

// strings skips k strings per element of a length-prefixed collection.
func (s *rdbScanner) strings(k int) error {
	n, err := s.length()
	if err != nil {
		return err
	}
	for ; n > 0; n-- {
		for range k {
			if err := s.skipString(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *rdbScanner) strings2() error {
	if err := s.skipString(); err != nil {
		return err
	}
	return s.skipString()
}

func (s *rdbScanner) byte() (byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, truncated(err)
	}
	return b, nil
}

// full reads n (at most 8) bytes into s.buf.
func (s *rdbScanner) full(n int) error {
	if _, err := io.ReadFull(s.r, s.buf[:n]); err != nil {
		return truncated(err)
	}
	return nil
}

func (s *rdbScanner) skip(n uint64) error {
	for n > 0 {
		step := int(min(n, 1<<30))
		k, err := s.r.Discard(step)
		n -= uint64(k)
		if err != nil {
			return truncated(err)
		}
	}
	return nil
}

// truncated turns the end of the input in the middle of a structure into
// ErrTruncated.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: it ends in the middle of its content", ErrTruncated)
	}
	return err
}
