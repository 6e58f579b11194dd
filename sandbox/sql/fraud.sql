-- Fraud case system (WekezaBank risk engine), SQLite (also runs on PostgreSQL).
-- A copy of the source system's own DDL. Timestamps are naive text on two clocks: inserts take
-- CURRENT_TIMESTAMP (UTC, seconds); the analyst workbench rewrites updated_at in Africa/Nairobi
-- local time with microseconds.

CREATE TABLE analyst_cases (
    case_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id   VARCHAR(50)   NOT NULL UNIQUE,
    customer_id      VARCHAR(50)   NOT NULL,
    amount           DECIMAL(15,2) NOT NULL,
    currency         VARCHAR(3)    NOT NULL DEFAULT 'KES',
    merchant_name    VARCHAR(200),
    transaction_type VARCHAR(50),
    risk_score       REAL          NOT NULL,
    risk_level       VARCHAR(10)   NOT NULL,
    status           VARCHAR(20)   NOT NULL DEFAULT 'ASSIGNED',
    analyst_id       VARCHAR(50),
    analyst_comment  TEXT,
    flagged_reason   TEXT,
    created_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    closed_at        TIMESTAMP
);
