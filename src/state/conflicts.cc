#include "state/conflicts.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace harmony::state {
namespace {

void AppendJsonString(std::string_view text, std::string* out) {
  *out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
  *out += '"';
}

}  // namespace

std::string ValuesAsJson(const std::vector<Value>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    const Value& v = values[i];
    if (std::holds_alternative<Null>(v)) {
      out += "null";
    } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
      out += std::to_string(*n);
    } else if (const double* d = std::get_if<double>(&v)) {
      if (std::isfinite(*d)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        out += buf;
      } else {
        out += "null";  // JSON has no Inf/NaN
      }
    } else if (const Text* t = std::get_if<Text>(&v)) {
      AppendJsonString(t->bytes, &out);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "{\"hex\":\"";
      for (unsigned char c : std::get<Blob>(v).bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      out += "\"}";
    }
  }
  return out + "]";
}

Status Conflicts::CreateTable() {
  return db_->Exec(
      "CREATE TABLE IF NOT EXISTS __harmony_conflicts("
      "  id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
      "  losing_op TEXT NOT NULL, losing_values TEXT NOT NULL, losing_origin INTEGER NOT NULL,"
      "  winning_origin INTEGER NOT NULL, shard INTEGER NOT NULL, stream_seq INTEGER NOT NULL,"
      "  detected_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
}

Status Conflicts::Record(const Conflict& c) {
  if (max_rows_ <= 0) return Status::Ok();
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement ins,
      db_->Prepare("INSERT INTO __harmony_conflicts(tbl, kind, key, losing_op, losing_values, "
                   "losing_origin, winning_origin, shard, stream_seq) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  HARMONY_RETURN_IF_ERROR(ins.BindText(1, c.table));
  HARMONY_RETURN_IF_ERROR(ins.BindText(2, c.kind));
  HARMONY_RETURN_IF_ERROR(ins.BindText(3, ValuesAsJson(c.key)));
  HARMONY_RETURN_IF_ERROR(ins.BindText(4, c.losing_op));
  HARMONY_RETURN_IF_ERROR(ins.BindText(5, ValuesAsJson(c.losing_values)));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(6, static_cast<int64_t>(c.losing_origin)));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(7, static_cast<int64_t>(c.winning_origin)));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(8, c.shard));
  HARMONY_RETURN_IF_ERROR(ins.BindInt(9, static_cast<int64_t>(c.stream_seq)));
  HARMONY_RETURN_IF_ERROR(ins.Run().WithContext("record a conflict"));
  // Prune now and then, not on every insert: the bound is max_rows plus at most 100.
  if (++since_prune_ >= 100 || max_rows_ < 100) {
    since_prune_ = 0;
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement prune,
                             db_->Prepare("DELETE FROM __harmony_conflicts WHERE id <= "
                                          "(SELECT max(id) FROM __harmony_conflicts) - ?1"));
    HARMONY_RETURN_IF_ERROR(prune.BindInt(1, max_rows_));
    HARMONY_RETURN_IF_ERROR(prune.Run());
  }
  return Status::Ok();
}

}  // namespace harmony::state
