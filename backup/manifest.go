package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"time"

	"github.com/roma-redis/roma/cluster"
)

// ManifestVersion is the version of the manifest format.
const ManifestVersion = 1

// ManifestName is the manifest's file name in a backup's directory. A
// backup is complete once its manifest exists: it is written last.
const ManifestName = "manifest.json"

// Manifest describes one complete backup: what it is of, when, and each
// partition's file with what it takes to verify it.
type Manifest struct {
	Version    int       `json:"version"`
	ID         string    `json:"id"`
	Cluster    string    `json:"cluster"`
	Hash       string    `json:"hash"`
	Partitions int       `json:"partitions"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	// Consistent says every partition's snapshot was taken while writes
	// were paused on every master: one point in time for the cluster.
	Consistent bool `json:"consistent"`
	// PausedMS is how long writes were paused, in milliseconds
	// (consistent backups only).
	PausedMS float64 `json:"paused_ms,omitempty"`
	Files    []File  `json:"files"`
}

// File is one partition's RDB in a backup.
type File struct {
	Partition    int    `json:"partition"`
	Name         string `json:"name"` // file name in the backup's directory
	Node         string `json:"node"` // the node it was taken from
	Role         string `json:"role"` // the node's role then: master or replica
	RedisVersion string `json:"redis_version"`
	RDBVersion   int    `json:"rdb_version"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	CRC64        string `json:"crc64"` // the RDB's own checksum, hex
	// Keys counts every key in the file; -1 when it holds a value type
	// this roma cannot walk (a newer Redis), so no count was made.
	Keys      int64            `json:"keys"`
	Expires   int64            `json:"expires"`   // keys with a TTL
	Databases map[string]int64 `json:"databases"` // keys per database index
	ReplID    string           `json:"replid"`
	Offset    int64            `json:"offset"` // replication offset of the snapshot
}

// FileName is the name of partition p's RDB in a backup.
func FileName(p int) string { return fmt.Sprintf("partition-%d.rdb", p) }

// Dir is where backup id of cluster c lives in a store.
func Dir(c, id string) string { return path.Join(c, id) }

// idPattern is what a backup ID looks like: its start time, UTC, with an
// optional suffix when two start in the same second.
var idPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$`)

// NewID returns the ID of a backup started at t.
func NewID(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// ValidID reports whether id is a backup ID.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ParseManifest decodes and checks a manifest read from backup id's
// directory.
func ParseManifest(data []byte, id string) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest of backup %s: %w", id, err)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("manifest of backup %s: version %d, this roma reads %d", id, m.Version, ManifestVersion)
	}
	if m.ID != id {
		return nil, fmt.Errorf("manifest of backup %s names itself %q", id, m.ID)
	}
	if len(m.Files) != m.Partitions {
		return nil, fmt.Errorf("manifest of backup %s: %d files for %d partitions", id, len(m.Files), m.Partitions)
	}
	for i, f := range m.Files {
		if f.Partition != i || f.Name != FileName(i) {
			return nil, fmt.Errorf("manifest of backup %s: file %d is %q of partition %d", id, i, f.Name, f.Partition)
		}
	}
	return &m, nil
}

// Marshal encodes m as stored.
func (m *Manifest) Marshal() []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}

// Errors of Fits.
var (
	ErrOtherCluster = errors.New("backup of another cluster")
	ErrLayout       = errors.New("backup does not fit the cluster's partitions")
)

// Fits reports why the backup cannot be restored into the cluster spec
// declares: another cluster, another partition count, another hash
// function (keys would land in partitions that do not hold them).
func (m *Manifest) Fits(spec *cluster.Spec) error {
	switch {
	case m.Cluster != spec.Name:
		return fmt.Errorf("%w: backup %s is of cluster %q, roma.hcl declares %q", ErrOtherCluster, m.ID, m.Cluster, spec.Name)
	case m.Partitions != spec.Partitions:
		return fmt.Errorf("%w: backup %s has %d partitions, roma.hcl declares %d; every key would belong to another partition",
			ErrLayout, m.ID, m.Partitions, spec.Partitions)
	case m.Hash != spec.Hash:
		return fmt.Errorf("%w: backup %s was taken with hash function %q, roma.hcl declares %q; keys would be looked for in the wrong partitions",
			ErrLayout, m.ID, m.Hash, spec.Hash)
	}
	return nil
}

// Keys is the number of keys in the backup, or -1 when a file's keys
// were not counted.
func (m *Manifest) Keys() int64 {
	var n int64
	for _, f := range m.Files {
		if f.Keys < 0 {
			return -1
		}
		n += f.Keys
	}
	return n
}

// Size is the total size of the backup's files.
func (m *Manifest) Size() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

func databases(m map[int]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for db, n := range m {
		out[strconv.Itoa(db)] = n
	}
	return out
}
