package hash

import "hash/crc32"

// modulo is the original Roma scheme: the CRC-32 (IEEE) of the key's hashed
// part, modulo n. Almost every key moves when n changes.
type modulo struct{}

func (modulo) Partition(key []byte, n int) (int, error) {
	if err := checkN(n); err != nil {
		return 0, err
	}
	return int(uint64(crc32.ChecksumIEEE(HashedPart(key))) % uint64(n)), nil
}
