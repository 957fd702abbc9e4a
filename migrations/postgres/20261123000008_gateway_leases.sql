-- Which process runs which gateway shard. Discord sends a server's events to one shard; two
-- processes on the same shard would both act on every slash command of its servers. A process
-- holds a lease on each of its shards, renews it while connected, and releases it on a clean
-- stop; another process may take a shard only once its lease has run out.
CREATE TABLE gateway_leases (
    shard        INTEGER PRIMARY KEY,
    total_shards INTEGER NOT NULL,
    holder       TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
