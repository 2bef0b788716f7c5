import GRDB

extension LedgerStore {
    /// The schema's history. A migration, once released, never changes: later versions add new ones.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Money is INTEGER micro-USD, NULL when the price was unknown; times are UTC milliseconds.
            try db.execute(
                sql: """
                    CREATE TABLE requests (
                        id INTEGER PRIMARY KEY,
                        request_id TEXT NOT NULL UNIQUE,
                        time_ms INTEGER NOT NULL,
                        uid INTEGER NOT NULL,
                        gid INTEGER NOT NULL,
                        pid INTEGER NOT NULL,
                        client TEXT,
                        route TEXT,
                        requested_model TEXT,
                        provider TEXT,
                        model TEXT,
                        attempts INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        error_code INTEGER,
                        finish_reason TEXT,
                        stream INTEGER NOT NULL,
                        prompt_tokens INTEGER NOT NULL,
                        completion_tokens INTEGER NOT NULL,
                        cached_tokens INTEGER NOT NULL,
                        cache_write_tokens INTEGER NOT NULL,
                        reasoning_tokens INTEGER NOT NULL,
                        cost_micro_usd INTEGER,
                        price_version TEXT,
                        latency_ms INTEGER NOT NULL,
                        ttft_ms INTEGER,
                        prompt_sha256 TEXT NOT NULL
                    );
                    CREATE INDEX requests_by_time ON requests (time_ms);
                    CREATE INDEX requests_by_uid ON requests (uid, time_ms);
                    CREATE INDEX requests_by_client ON requests (client, time_ms);
                    CREATE INDEX requests_by_provider_model ON requests (provider, model, time_ms);
                    CREATE TABLE attempts (
                        request_id TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        provider TEXT NOT NULL,
                        model TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        http_status INTEGER,
                        latency_ms INTEGER NOT NULL,
                        prompt_tokens INTEGER NOT NULL,
                        completion_tokens INTEGER NOT NULL,
                        cached_tokens INTEGER NOT NULL,
                        cache_write_tokens INTEGER NOT NULL,
                        reasoning_tokens INTEGER NOT NULL,
                        cost_micro_usd INTEGER,
                        PRIMARY KEY (request_id, number)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v2") { db in
            // The response cache: how a request was answered from it, and what that saved.
            try db.execute(
                sql: """
                    ALTER TABLE requests ADD COLUMN cache TEXT;
                    ALTER TABLE requests ADD COLUMN saved_micro_usd INTEGER;
                    """
            )
        }
        migrator.registerMigration("v3") { db in
            // Ratings of answers (`feedback`): one row per request, the last rating replacing an earlier one. A table
            // of its own, not columns of `requests`: a request may be rated while its row still waits in the
            // writer's queue, and usage queries join it.
            try db.execute(
                sql: """
                    CREATE TABLE feedback (
                        request_id TEXT PRIMARY KEY,
                        rated_ms INTEGER NOT NULL,
                        rated_uid INTEGER NOT NULL,
                        score REAL NOT NULL,
                        comment TEXT
                    ) WITHOUT ROWID;
                    """
            )
        }
        return migrator
    }
}
