#include "apply/unique_conflicts.h"

#include <algorithm>
#include <string>

#include "change/shard.h"

namespace harmony::apply {
namespace {

using sqlite::QuoteIdentifier;

// Position of column `name` in `table`, or -1.
int PositionOf(const change::TableSchema& table, const std::string& name) {
  auto it = std::find_if(table.columns.begin(), table.columns.end(),
                         [&](const std::string& c) { return sqlite::SameIdentifier(c, name); });
  return it == table.columns.end() ? -1 : static_cast<int>(it - table.columns.begin());
}

}  // namespace

Result<std::vector<UniqueIndex>> UniqueIndexesOf(sqlite::Database& db, const std::string& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement list,
      db.Prepare("SELECT name FROM pragma_index_list(?1, 'main') WHERE \"unique\" = 1 AND "
                 "origin != 'pk' AND partial = 0"));
  HARMONY_RETURN_IF_ERROR(list.BindText(1, table));
  std::vector<std::string> names;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    names.push_back(list.ColumnText(0));
  }
  std::vector<UniqueIndex> out;
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement cols,
      db.Prepare("SELECT cid, name, coll FROM pragma_index_xinfo(?1, 'main') WHERE key = 1 "
                 "ORDER BY seqno"));
  for (const std::string& name : names) {
    HARMONY_RETURN_IF_ERROR(cols.BindText(1, name));
    UniqueIndex index;
    bool expression = false;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
      if (!row) break;
      if (cols.ColumnInt(0) < 0) {
        expression = true;
        continue;
      }
      index.columns.push_back(cols.ColumnText(1));
      index.collations.push_back(
          change::CollationNamed(cols.ColumnText(2)).value_or(change::Collation::kBinary));
    }
    cols.Reset();
    if (!expression && !index.columns.empty()) out.push_back(std::move(index));
  }
  return out;
}

bool CollideThrough(const UniqueIndex& index, const change::TableSchema& ta,
                    const std::vector<Value>& a, const change::TableSchema& tb,
                    const std::vector<Value>& b) {
  // SameKey compares canonical forms under the collations of a shape's key: a shape whose key is
  // the index's columns.
  change::TableSchema as_key;
  std::vector<Value> va, vb;
  for (size_t i = 0; i < index.columns.size(); ++i) {
    const int pa = PositionOf(ta, index.columns[i]);
    const int pb = PositionOf(tb, index.columns[i]);
    if (pa < 0 || pb < 0 || static_cast<size_t>(pa) >= a.size() ||
        static_cast<size_t>(pb) >= b.size()) {
      return false;
    }
    if (std::holds_alternative<Null>(a[pa]) || std::holds_alternative<Null>(b[pb])) return false;
    va.push_back(a[pa]);
    vb.push_back(b[pb]);
    as_key.pk.push_back(static_cast<uint32_t>(i));
    as_key.pk_collations.push_back(index.collations[i]);
  }
  return change::SameKey(as_key, va, vb);
}

Result<std::vector<std::vector<Value>>> FindUniqueConflicts(
    sqlite::Database& db, const change::TableSchema& table, const std::vector<Value>& values,
    const std::vector<UniqueIndex>& indexes) {
  std::vector<Value> key;
  for (uint32_t i : table.pk) key.push_back(values[i]);
  std::vector<std::vector<Value>> found;
  for (const UniqueIndex& index : indexes) {
    std::vector<int> positions;
    for (const std::string& column : index.columns) positions.push_back(PositionOf(table, column));
    if (std::any_of(positions.begin(), positions.end(), [&](int p) {
          return p < 0 || std::holds_alternative<Null>(values[p]);
        })) {
      continue;  // a column the sender does not know, or a NULL (NULLs are distinct for UNIQUE)
    }
    std::string sql = "SELECT ";
    for (size_t k = 0; k < table.pk.size(); ++k) {
      sql += (k ? ", " : "") + QuoteIdentifier(table.columns[table.pk[k]]);
    }
    sql += " FROM " + QuoteIdentifier(table.name) + " WHERE ";
    for (size_t k = 0; k < positions.size(); ++k) {
      sql += (k ? " AND " : "") + QuoteIdentifier(index.columns[k]) + " = ?" +
             std::to_string(k + 1) + " COLLATE " + change::CollationName(index.collations[k]);
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q, db.Prepare(sql));
    for (size_t k = 0; k < positions.size(); ++k) {
      HARMONY_RETURN_IF_ERROR(q.Bind(static_cast<int>(k + 1), values[positions[k]]));
    }
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      std::vector<Value> other;
      for (size_t k = 0; k < table.pk.size(); ++k) other.push_back(q.Column(static_cast<int>(k)));
      if (!change::SameKey(table, other, key)) found.push_back(std::move(other));
    }
  }
  return found;
}

}  // namespace harmony::apply
