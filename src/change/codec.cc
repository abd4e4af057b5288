#include "change/codec.h"

#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "change/fragment.h"
#include "change/value_codec.h"

namespace harmony::change {
namespace {

using wire::AppendValue;
using wire::AppendVarint;
using wire::EncodedValueSize;
using wire::Reader;
using wire::VarintSize;

// Smallest encodings, used to bound counts by the bytes left before reserving memory.
constexpr size_t kMinTableBytes = 3;   // empty name, no columns, no pk
constexpr size_t kMinChangeBytes = 2;  // op and table index (a table may have no columns)

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "change::Encode: %s\n", what.c_str());
  std::abort();
}

bool IsKnownOp(uint8_t op, uint8_t version) {
  const Op newest_op = version >= kWireVersion3   ? Op::kSchema
                       : version >= kWireVersion2 ? Op::kRowCopies
                                                  : Op::kDelete;
  const auto newest = static_cast<uint8_t>(newest_op);
  return op >= static_cast<uint8_t>(Op::kUpsert) && op <= newest;
}

size_t ValueCountFor(Op op, const TableSchema& table) {
  if (op == Op::kDelete) return table.pk.size();
  if (op == Op::kSchema) return 1;
  return op == Op::kRowCopies ? table.columns.size() + 1 : table.columns.size();
}

bool IsKnownCollation(uint8_t c) { return c <= static_cast<uint8_t>(Collation::kRtrim); }

// Version 2 only when the batch carries something version 1 cannot say.
uint8_t VersionFor(const Batch& batch) {
  for (const Change& change : batch.changes) {
    if (change.op == Op::kSchema) return kWireVersion3;
  }
  for (const TableSchema& table : batch.tables) {
    if (table.HasKeyCollation()) return kWireVersion2;
  }
  for (const Change& change : batch.changes) {
    if (IdentityOf(change.op) == Identity::kRow) return kWireVersion2;
  }
  return kWireVersion;
}

size_t StringSize(const std::string& s) { return VarintSize(s.size()) + s.size(); }

// Returns the exact body size, aborting on a batch Decode would reject.
size_t BodySize(const Batch& batch, uint8_t version) {
  size_t n = VarintSize(batch.node_id) + VarintSize(batch.epoch) + VarintSize(batch.first_seq) +
             VarintSize(batch.last_seq) + VarintSize(batch.part) + 1;
  n += VarintSize(batch.tables.size());
  for (const TableSchema& table : batch.tables) {
    n += StringSize(table.name) + VarintSize(table.columns.size());
    for (const std::string& column : table.columns) n += StringSize(column);
    n += VarintSize(table.pk.size());
    std::vector<bool> seen(table.columns.size());
    for (uint32_t index : table.pk) {
      if (index >= table.columns.size() || seen[index]) {
        Die("malformed batch: table \"" + table.name + "\": bad or repeated pk index " +
            std::to_string(index));
      }
      seen[index] = true;
      n += VarintSize(index);
    }
    if (version >= kWireVersion2) n += table.pk.size();  // one collation byte per key column
    if (!table.pk_collations.empty() && table.pk_collations.size() != table.pk.size()) {
      Die("malformed batch: table \"" + table.name + "\": pk_collations and pk differ in size");
    }
  }
  n += VarintSize(batch.changes.size());
  for (size_t i = 0; i < batch.changes.size(); ++i) {
    const Change& change = batch.changes[i];
    if (!IsKnownOp(static_cast<uint8_t>(change.op), version) ||
        change.table >= batch.tables.size() ||
        change.values.size() != ValueCountFor(change.op, batch.tables[change.table])) {
      Die("malformed batch: change " + std::to_string(i) + ": bad op, table index or value count");
    }
    n += 1 + VarintSize(change.table);
    for (const Value& v : change.values) n += EncodedValueSize(v);
  }
  return n;
}

void AppendString(std::string* out, const std::string& s) {
  AppendVarint(out, s.size());
  out->append(s);
}

void AppendBody(const Batch& batch, uint8_t version, std::string* out) {
  AppendVarint(out, batch.node_id);
  AppendVarint(out, batch.epoch);
  AppendVarint(out, batch.first_seq);
  AppendVarint(out, batch.last_seq);
  AppendVarint(out, batch.part);
  out->push_back(batch.last_part ? 1 : 0);
  AppendVarint(out, batch.tables.size());
  for (const TableSchema& table : batch.tables) {
    AppendString(out, table.name);
    AppendVarint(out, table.columns.size());
    for (const std::string& column : table.columns) AppendString(out, column);
    AppendVarint(out, table.pk.size());
    for (uint32_t index : table.pk) AppendVarint(out, index);
    if (version >= kWireVersion2) {
      for (size_t i = 0; i < table.pk.size(); ++i) {
        out->push_back(static_cast<char>(table.KeyCollation(i)));
      }
    }
  }
  AppendVarint(out, batch.changes.size());
  for (const Change& change : batch.changes) {
    out->push_back(static_cast<char>(change.op));
    AppendVarint(out, change.table);
    for (const Value& v : change.values) AppendValue(out, v);
  }
}

Status CorruptAt(std::string what, size_t offset) {
  what += " at byte ";
  what += std::to_string(offset);
  return Status::Corruption(std::move(what));
}

bool ReadTable(Reader& r, uint8_t version, TableSchema* table) {
  std::string_view name;
  if (!r.ReadLengthPrefixed(&name, "table name")) return false;
  table->name = name;
  uint64_t column_count;
  if (!r.ReadCount(&column_count, 1, "column_count")) return false;
  table->columns.resize(column_count);
  for (std::string& column : table->columns) {
    std::string_view column_name;
    if (!r.ReadLengthPrefixed(&column_name, "column name")) return false;
    column = column_name;
  }
  uint64_t pk_count;
  if (!r.ReadCount(&pk_count, 1, "pk_count")) return false;
  table->pk.resize(pk_count);
  std::vector<bool> seen(column_count);
  for (uint32_t& index : table->pk) {
    const size_t at = r.offset();
    if (!r.ReadIndex(&index, column_count, "pk index")) return false;
    if (seen[index]) return r.Fail(at, "repeated pk index " + std::to_string(index));
    seen[index] = true;
  }
  if (version >= kWireVersion2) {
    table->pk_collations.resize(pk_count);
    for (Collation& collation : table->pk_collations) {
      const size_t at = r.offset();
      uint8_t c;
      if (!r.ReadByte(&c, "pk collation")) return false;
      if (!IsKnownCollation(c)) return r.Fail(at, "unknown collation " + std::to_string(c));
      collation = static_cast<Collation>(c);
    }
  }
  return true;
}

bool ReadChange(Reader& r, uint8_t version, const std::vector<TableSchema>& tables,
                Change* change) {
  const size_t op_at = r.offset();
  uint8_t op;
  if (!r.ReadByte(&op, "op")) return false;
  if (!IsKnownOp(op, version)) return r.Fail(op_at, "unknown op " + std::to_string(op));
  change->op = static_cast<Op>(op);
  if (!r.ReadIndex(&change->table, tables.size(), "table index")) return false;
  // The value count is implied by the op and the table; each value takes at least one byte.
  const size_t count = ValueCountFor(change->op, tables[change->table]);
  if (count > r.remaining()) {
    return r.Fail(r.offset(), std::to_string(count) + " values cannot fit in the remaining " +
                                  std::to_string(r.remaining()) + " bytes");
  }
  change->values.resize(count);
  for (Value& v : change->values) {
    if (!r.ReadValue(&v)) return false;
  }
  if (change->op == Op::kSchema && !std::holds_alternative<Text>(change->values[0])) {
    return r.Fail(op_at, "schema change: the value is not TEXT");
  }
  if (change->op == Op::kRowCopies) {
    const int64_t* n = std::get_if<int64_t>(&change->values.back());
    if (n == nullptr || *n < 0) {
      return r.Fail(op_at, "row copies: the count is not an INTEGER >= 0");
    }
  }
  return true;
}

Result<Batch> DecodeBody(Reader& r, uint8_t version) {
  Batch batch;
  uint8_t last_part;
  if (!r.ReadVarint(&batch.node_id, "node_id") || !r.ReadVarint(&batch.epoch, "epoch") ||
      !r.ReadVarint(&batch.first_seq, "first_seq") || !r.ReadVarint(&batch.last_seq, "last_seq") ||
      !r.ReadIndex(&batch.part, uint64_t{1} << 32, "part") ||
      !r.ReadByte(&last_part, "last_part")) {
    return r.status();
  }
  if (last_part > 1) {
    r.Fail(r.offset() - 1, "last_part " + std::to_string(last_part) + " is neither 0 nor 1");
    return r.status();
  }
  batch.last_part = last_part == 1;

  uint64_t table_count;
  if (!r.ReadCount(&table_count, kMinTableBytes, "table_count")) return r.status();
  batch.tables.resize(table_count);
  for (size_t i = 0; i < batch.tables.size(); ++i) {
    if (!ReadTable(r, version, &batch.tables[i])) {
      return r.status().WithContext("table " + std::to_string(i));
    }
  }

  uint64_t change_count;
  if (!r.ReadCount(&change_count, kMinChangeBytes, "change_count")) return r.status();
  batch.changes.resize(change_count);
  for (size_t i = 0; i < batch.changes.size(); ++i) {
    if (!ReadChange(r, version, batch.tables, &batch.changes[i])) {
      return r.status().WithContext("change " + std::to_string(i));
    }
  }
  if (!r.AtEnd()) {
    r.Fail(r.offset(), std::to_string(r.remaining()) + " trailing bytes after the last change");
    return r.status();
  }
  return batch;
}

// Decompresses the single zstd frame that follows the header into `body`.
Status Decompress(std::string_view frame, std::string* body) {
  constexpr size_t kFrameAt = 2;
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return CorruptAt("invalid zstd frame header", kFrameAt);
  // Without a declared size the memory needed is unknown until decompression ends.
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return CorruptAt("zstd frame does not declare its content size", kFrameAt);
  }
  if (size > kMaxDecompressedBodyBytes) {
    return CorruptAt("zstd frame declares " + std::to_string(size) + " bytes, over the limit of " +
                         std::to_string(kMaxDecompressedBodyBytes),
                     kFrameAt);
  }
  const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) {
    return CorruptAt(std::string("bad zstd frame: ") + ZSTD_getErrorName(frame_size), kFrameAt);
  }
  if (frame_size != frame.size()) {
    return CorruptAt(
        std::to_string(frame.size() - frame_size) + " trailing bytes after the zstd frame",
        kFrameAt + frame_size);
  }
  body->resize(size);
  const size_t got = ZSTD_decompress(body->data(), body->size(), frame.data(), frame.size());
  if (ZSTD_isError(got)) {
    return CorruptAt(std::string("bad zstd frame: ") + ZSTD_getErrorName(got), kFrameAt);
  }
  if (got != size) {
    return CorruptAt(
        "zstd frame declares " + std::to_string(size) + " bytes but holds " + std::to_string(got),
        kFrameAt);
  }
  return Status::Ok();
}

}  // namespace

std::string Encode(const Batch& batch, const EncodeOptions& options) {
  const uint8_t version = VersionFor(batch);
  const size_t body_size = BodySize(batch, version);
  const bool compress = options.compress && body_size <= kMaxDecompressedBodyBytes;
  std::string out;
  if (!compress) {
    out.reserve(2 + body_size);
    out.push_back(static_cast<char>(version));
    out.push_back(0);
    AppendBody(batch, version, &out);
    if (out.size() != 2 + body_size) Die("BodySize disagrees with AppendBody");
    return out;
  }
  std::string body;
  body.reserve(body_size);
  AppendBody(batch, version, &body);
  if (body.size() != body_size) Die("BodySize disagrees with AppendBody");
  out.resize(2 + ZSTD_compressBound(body.size()));
  out[0] = static_cast<char>(version);
  out[1] = static_cast<char>(kFlagCompressed);
  // ZSTD_compress writes the content size into the frame header, which Decode requires.
  const size_t n =
      ZSTD_compress(out.data() + 2, out.size() - 2, body.data(), body.size(), options.zstd_level);
  if (ZSTD_isError(n)) {
    // The destination is compressBound-sized, so only memory exhaustion gets here.
    std::fprintf(stderr, "change::Encode: ZSTD_compress: %s\n", ZSTD_getErrorName(n));
    std::abort();
  }
  out.resize(2 + n);
  return out;
}

Result<Batch> Decode(std::string_view payload) {
  if (payload.empty()) return Status::Corruption("empty payload");
  const uint8_t version = static_cast<uint8_t>(payload[0]);
  if (version < kWireVersion || version > kWireVersion3) {
    return Status::Corruption("unsupported wire version " + std::to_string(version) +
                              " (this build reads " + std::to_string(kWireVersion) + " to " +
                              std::to_string(kWireVersion3) + ")");
  }
  if (payload.size() < 2) return CorruptAt("truncated flags", 1);
  const uint8_t flags = static_cast<uint8_t>(payload[1]);
  if ((flags & ~(kFlagCompressed | kFlagFragment)) != 0) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", flags & ~(kFlagCompressed | kFlagFragment));
    return CorruptAt(std::string("unknown flag bits ") + hex, 1);
  }
  if ((flags & kFlagFragment) != 0) {
    return CorruptAt("fragment envelope: reassemble before decoding", 1);
  }
  if ((flags & kFlagCompressed) == 0) {
    Reader r(payload.substr(2), 2, "");
    return DecodeBody(r, version);
  }
  std::string body;
  HARMONY_RETURN_IF_ERROR(Decompress(payload.substr(2), &body));
  Reader r(body, 0, " of the decompressed body");
  return DecodeBody(r, version);
}

std::string MessageId(const Batch& batch, uint32_t shard) {
  std::string id = std::to_string(batch.node_id);
  for (uint64_t field :
       {batch.epoch, batch.first_seq, batch.last_seq, uint64_t{shard}, uint64_t{batch.part}}) {
    id += '-';
    id += std::to_string(field);
  }
  return id;
}

}  // namespace harmony::change
