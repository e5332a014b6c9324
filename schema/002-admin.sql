-- 002-admin.sql: admin users and sessions, alerts, daemon heartbeats.

CREATE TABLE users (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username      VARCHAR(100) NOT NULL,
  password_hash VARCHAR(200) NOT NULL,        -- yescrypt ($y$...)
  failed_logins INT UNSIGNED NOT NULL DEFAULT 0,
  locked_until  DATETIME(6) NULL,
  must_change_password TINYINT(1) NOT NULL DEFAULT 0,
  last_login_at DATETIME(6) NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Only the SHA-256 of the session token is stored: a leaked table opens no session.
CREATE TABLE sessions (
  token_hash    BINARY(32) NOT NULL PRIMARY KEY,
  user_id       BIGINT UNSIGNED NOT NULL,
  csrf_token    CHAR(64) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at    DATETIME(6) NOT NULL,
  KEY idx_sessions_user (user_id),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Things an operator must see: breaker suspensions, servers at 90 %, bans, orphans.
CREATE TABLE alerts (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind          VARCHAR(64) NOT NULL,
  gateway_id    BIGINT UNSIGNED NULL,
  instance_id   BIGINT UNSIGNED NULL,
  message       VARCHAR(1000) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  resolved_at   DATETIME(6) NULL,
  KEY idx_alerts_open (resolved_at, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per running wapoold: the worker health log.
CREATE TABLE daemons (
  owner_id      VARCHAR(64) NOT NULL PRIMARY KEY,
  host          VARCHAR(200) NOT NULL,
  pid           INT UNSIGNED NOT NULL,
  started_at    DATETIME(6) NOT NULL,
  heartbeat_at  DATETIME(6) NOT NULL,
  in_flight     INT UNSIGNED NOT NULL DEFAULT 0,
  sent_total    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rss_kb        INT UNSIGNED NOT NULL DEFAULT 0,
  rate_gates    ENUM('shared','degraded') NOT NULL DEFAULT 'shared'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
