package intake

import (
	"os"
	"path/filepath"
	"testing"
)

func benchmarkDecode(b *testing.B, path string) {
	payload, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		req, err := Decode(payload)
		if err != nil || len(req.Targets) == 0 && req.Sweep == nil {
			b.Fatalf("Decode: %v", err)
		}
	}
}

// BenchmarkDecodeTagResources: the typical event, one ActionTrail TagResources record.
func BenchmarkDecodeTagResources(b *testing.B) {
	benchmarkDecode(b, filepath.Join(eventsDir, "actiontrail-tagresources.json"))
}

func BenchmarkDecodeCreateDisk(b *testing.B) {
	benchmarkDecode(b, filepath.Join(eventsDir, "actiontrail-createdisk.json"))
}

func BenchmarkDecodeBatch(b *testing.B) {
	benchmarkDecode(b, filepath.Join(eventsDir, "eventstreaming-batch.json"))
}

func BenchmarkDecodeDirect(b *testing.B) {
	benchmarkDecode(b, filepath.Join(eventsDir, "direct-request.json"))
}
