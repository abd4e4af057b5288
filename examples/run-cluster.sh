#!/usr/bin/env bash
# Three-node Harmony demo: /tmp/harmony-{1,2,3}.db, each with a Books table and seed rows, each
# node with its own embedded nats-server joined into one NATS cluster. Runs in the foreground;
# Ctrl-C stops every node.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/bootstrap.sh"
harmony="$root/build/harmony"

create_db() {
  rm -rf "$1" "$1-wal" "$1-shm" "$1-harmony-nats"
  sqlite3 "$1" >/dev/null <<'SQL'
PRAGMA journal_mode = WAL;
CREATE TABLE Books (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  publication_year INTEGER
);
INSERT INTO Books (title, author, publication_year) VALUES
  ('The Hitchhiker''s Guide to the Galaxy', 'Douglas Adams', 1979),
  ('The Lord of the Rings', 'J.R.R. Tolkien', 1954),
  ('Harry Potter and the Sorcerer''s Stone', 'J.K. Rowling', 1997),
  ('The Catcher in the Rye', 'J.D. Salinger', 1951),
  ('To Kill a Mockingbird', 'Harper Lee', 1960),
  ('1984', 'George Orwell', 1949),
  ('The Great Gatsby', 'F. Scott Fitzgerald', 1925);
SQL
}

for i in 1 2 3; do create_db "/tmp/harmony-$i.db"; done

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping cluster..."
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

routes=(nats://127.0.0.1:4241 nats://127.0.0.1:4242 nats://127.0.0.1:4243)
for i in 1 2 3; do
  peers=$(printf '%s\n' "${routes[@]}" | grep -v ":$((4240 + i))\$" | paste -sd, -)
  "$harmony" -config "$root/examples/node-$i-config.toml" \
    -cluster-addr "127.0.0.1:$((4240 + i))" -cluster-peers "$peers" &
  pids+=($!)
done
echo "cluster running: /tmp/harmony-1.db /tmp/harmony-2.db /tmp/harmony-3.db (Ctrl-C to stop)"
wait -n "${pids[@]}" || true
echo "a node exited; stopping the others"
