import PostgresNIO

/// The job queue's tables and their migrations. Every `sd serve --queue` and `sd worker` runs
/// ``migrate(_:logger:)`` when it starts: under an advisory lock, in one transaction, it applies the
/// migrations the database has not seen yet and records each in `sd_schema_version`, so starting
/// any number of processes at once, or again, is harmless.
enum QueueSchema {
    /// Migrations in order; the version of migration `i` is `i + 1`. Append, never edit.
    static let migrations: [[PostgresQuery]] = [
        [
            """
            CREATE TABLE sd_jobs (
                id bigserial PRIMARY KEY,
                kind text NOT NULL CHECK (kind IN ('txt2img', 'img2img')),
                -- The request body exactly as the client sent it; the worker parses it with the server's code.
                request bytea NOT NULL,
                -- queued → running → done | failed | cancelled; running may go back to queued-like
                -- (claimable) when its lease expires.
                state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
                submitted_by text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                lease_token uuid,
                lease_expires_at timestamptz,
                worker text,
                image_count integer NOT NULL DEFAULT 1,
                images_done integer NOT NULL DEFAULT 0,
                step integer NOT NULL DEFAULT 0,
                total_steps integer NOT NULL DEFAULT 0,
                interrupt_requested boolean NOT NULL DEFAULT false,
                images bytea[],
                info text,
                error text,
                error_status integer,
                -- Times the job was completed; the conditional completion keeps it at most 1
                -- (Tests/Scripts/queue-scale-out.sh checks it).
                completions integer NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now(),
                claimed_at timestamptz,
                finished_at timestamptz
            )
            """,
            "CREATE INDEX sd_jobs_open ON sd_jobs (id) WHERE state IN ('queued', 'running')",
        ],
    ]

    /// The newest schema version this code knows.
    static var latestVersion: Int { migrations.count }

    /// Brings the database's schema to ``latestVersion``.
    ///
    /// - Throws: ``QueueError/schemaTooNew(found:known:)`` when a newer `sd` migrated it further;
    ///   PostgresNIO errors otherwise.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            // One migrator at a time (the key is arbitrary but fixed: "sd-queue" in ASCII).
            try await connection.query("SELECT pg_advisory_xact_lock(7310034100117101117)", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS sd_schema_version (
                    version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var current = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0)::int8 FROM sd_schema_version", logger: logger).decode(Int64.self) {
                current = Int(version)
            }
            guard current <= latestVersion else { throw QueueError.schemaTooNew(found: current, known: latestVersion) }
            for version in (current + 1)...max(current + 1, latestVersion) where version <= latestVersion {
                for statement in migrations[version - 1] { try await connection.query(statement, logger: logger) }
                try await connection.query("INSERT INTO sd_schema_version (version) VALUES (\(version))", logger: logger)
            }
        }
    }
}
