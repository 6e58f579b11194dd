-- Digital channel security (Salama), PostgreSQL: the tables the Enterprise Brain reads.
-- A copy of the source system's own DDL. It knows a person only by MSISDN (users.account_id).

CREATE TABLE users (
    user_id           uuid PRIMARY KEY,
    account_id        varchar(50)  NOT NULL UNIQUE,
    account_name      varchar(200),
    account_type      varchar(50),
    currency          varchar(3)   DEFAULT 'KES',
    is_in_shadow_mode boolean      NOT NULL DEFAULT false,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now()
);

-- session_token is a live credential: no connector ever selects it.
CREATE TABLE sessions (
    session_id    uuid PRIMARY KEY,
    user_id       uuid         NOT NULL REFERENCES users (user_id),
    session_token varchar(255) NOT NULL,
    session_mode  varchar(20)  NOT NULL DEFAULT 'standard',
    device_id     varchar(100),
    ip_address    inet,
    user_agent    text,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_activity timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE audit_logs (
    log_id           uuid PRIMARY KEY,
    user_id          uuid REFERENCES users (user_id),
    session_id       uuid,
    action           varchar(50) NOT NULL,
    is_shadow_action boolean     NOT NULL DEFAULT false,
    entity_type      varchar(50),
    ip_address       inet,
    user_agent       text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE security_alerts (
    alert_id     uuid PRIMARY KEY,
    user_id      uuid REFERENCES users (user_id),
    session_id   uuid,
    alert_type   varchar(50)  NOT NULL,
    severity     varchar(10)  NOT NULL,
    device_id    varchar(100),
    alert_status varchar(20)  NOT NULL DEFAULT 'OPEN',
    created_at   timestamptz  NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
