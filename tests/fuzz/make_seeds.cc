// Writes the seed corpora of the fuzz targets from valid encodings made by this build's encoder,
// so the seeds follow the wire format when it changes. Usage: make_seeds <dir>; writes
// <dir>/decode/* and <dir>/reassemble/* (scripts/fuzz.sh runs it before fuzzing).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "change/codec.h"
#include "change/fragment.h"

namespace {

using harmony::Blob;
using harmony::Null;
using harmony::Text;
using harmony::change::Batch;
using harmony::change::Change;
using harmony::change::EncodeOptions;
using harmony::change::Op;
using harmony::change::TableSchema;

void Write(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// The worked example of docs/wire-format.md.
Batch Books() {
  Batch b;
  b.node_id = 3;
  b.epoch = 300;
  b.first_seq = 10;
  b.last_seq = 11;
  b.tables.push_back(TableSchema{"Books", {"id", "title", "price"}, {0}});
  b.changes.push_back(Change{Op::kUpsert, 0, {int64_t{1}, Text{"Dune"}, 9.5}});
  b.changes.push_back(Change{Op::kDelete, 0, {int64_t{2}}});
  return b;
}

// Two tables, a composite key, every storage class and some edge values.
Batch EveryClass() {
  Batch b;
  b.node_id = 1ull << 40;
  b.epoch = ~0ull;
  b.first_seq = 1;
  b.last_seq = 1000;
  b.part = 7;
  b.last_part = false;
  b.tables.push_back(TableSchema{"order items", {"order", "line", "note", "data"}, {1, 0}});
  b.tables.push_back(TableSchema{"empty", {}, {}});
  b.changes.push_back(Change{Op::kUpsert, 0,
                             {int64_t{INT64_MIN}, int64_t{-1}, Text{std::string("a\0b", 3)},
                              Blob{std::string(300, 'x')}}});
  b.changes.push_back(Change{Op::kUpsert, 0, {Null{}, -0.0, Text{""}, Blob{""}}});
  b.changes.push_back(Change{Op::kDelete, 0, {int64_t{INT64_MAX}, int64_t{0}}});
  b.changes.push_back(Change{Op::kUpsert, 1, {}});
  b.changes.push_back(Change{Op::kDelete, 1, {}});
  return b;
}

// A stream-mode record of reassemble_fuzz: [shard][length LE16][payload].
std::string Record(uint8_t shard, const std::string& payload) {
  std::string r;
  r.push_back(static_cast<char>(shard));
  r.push_back(static_cast<char>(payload.size() & 0xff));
  r.push_back(static_cast<char>(payload.size() >> 8));
  return r + payload;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <dir>\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir / "decode");
  std::filesystem::create_directories(dir / "reassemble");

  std::vector<std::string> messages;
  for (const Batch& b : {Batch{}, Books(), EveryClass()}) {
    messages.push_back(Encode(b, EncodeOptions{}));
    messages.push_back(Encode(b, EncodeOptions{.compress = true}));
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    Write(dir / "decode" / ("message-" + std::to_string(i)), messages[i]);
  }

  // Stream mode (first byte even): each message split into fragments, one sender per shard, and
  // two senders interleaved on one shard.
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string in(1, '\0');
    for (const std::string& f : harmony::change::Fragment(messages[i], 64, 5)) in += Record(0, f);
    Write(dir / "reassemble" / ("stream-" + std::to_string(i)), in);
  }
  {
    const auto a = harmony::change::Fragment(messages[2], 64, 1);
    const auto b = harmony::change::Fragment(messages[4], 64, 2);
    std::string in(1, '\0');
    for (size_t i = 0; i < a.size() || i < b.size(); ++i) {
      if (i < a.size()) in += Record(1, a[i]);
      if (i < b.size()) in += Record(1, b[i]);
    }
    Write(dir / "reassemble" / "stream-interleaved", in);
  }
  // Split mode (first byte odd): [max_message_bytes - 64: LE16][sender][message].
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string in = {'\x01', '\x00', '\x00', '\x09'};
    Write(dir / "reassemble" / ("split-" + std::to_string(i)), in + messages[i]);
  }
  return 0;
}
