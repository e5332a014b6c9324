-- 001-core.sql: tenants, gateway servers, instances, pools, routes, events, the message queue.
-- InnoDB + utf8mb4 everywhere; every timestamp DATETIME(6) in UTC (the
-- connection sets time_zone = '+00:00').

CREATE TABLE tenants (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  slug          VARCHAR(64)  NOT NULL,
  name          VARCHAR(200) NOT NULL,
  timezone      VARCHAR(64)  NOT NULL DEFAULT 'America/Sao_Paulo',
  active        TINYINT(1)   NOT NULL DEFAULT 1,
  quiet_start   TIME NULL,                 -- anti-ban quiet hours in the tenant's zone
  quiet_end     TIME NULL,
  created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_tenants_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A gateway server (Evolution API, WPPConnect server, or a Meta app).
-- Capacity is wapool's own bookkeeping: Evolution has no instance limit.
CREATE TABLE gateways (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name          VARCHAR(100) NOT NULL,
  kind          ENUM('evolution','wppconnect','meta') NOT NULL,
  base_url      VARCHAR(500) NOT NULL,
  api_key       VARCHAR(500) NOT NULL DEFAULT '',
  capacity      INT UNSIGNED NOT NULL DEFAULT 20,
  priority      INT NOT NULL DEFAULT 0,
  active        TINYINT(1)   NOT NULL DEFAULT 1,
  last_check_at DATETIME(6) NULL,
  last_check_result VARCHAR(500) NULL,
  created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_gateways_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One WhatsApp number on one gateway server.  client_ref names the client
-- (tenant's customer, shop, agent) the number belongs to: the unique key
-- (tenant_id, client_ref) is what keeps "one client = one instance, for ever".
CREATE TABLE instances (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  gateway_id    BIGINT UNSIGNED NOT NULL,
  tenant_id     BIGINT UNSIGNED NULL,
  client_ref    VARCHAR(200) NULL,
  name          VARCHAR(100) NOT NULL,
  phone         VARCHAR(20)  NULL,
  display_name  VARCHAR(200) NULL,
  token         VARCHAR(500) NOT NULL DEFAULT '',   -- instance apikey / access token (secret)
  external_id   VARCHAR(200) NULL,                  -- Evolution instanceId, Meta phone-number-id
  principal     TINYINT(1)   NOT NULL DEFAULT 0,
  -- what the gateway says about the session
  state         ENUM('unknown','connecting','connected','disconnected','refused','banned')
                NOT NULL DEFAULT 'unknown',
  -- what the operator decided: active sends; suspended accepts and queues; draining finishes then stops
  admin_state   ENUM('active','suspended','draining') NOT NULL DEFAULT 'active',
  -- acks: degraded = "connected" but sends are not acknowledged (zombie session)
  health        ENUM('ok','degraded') NOT NULL DEFAULT 'ok',
  breaker_state ENUM('closed','open','half_open') NOT NULL DEFAULT 'closed',
  breaker_until DATETIME(6) NULL,
  breaker_trips INT UNSIGNED NOT NULL DEFAULT 0,
  -- messaging tier and per-number limits (NULL = pool or global default)
  tier_daily_limit INT UNSIGNED NULL,
  rate_mps      INT UNSIGNED NULL,
  rate_burst    INT UNSIGNED NULL,
  pair_per_minute INT UNSIGNED NULL,
  spacing_min_seconds INT UNSIGNED NULL,
  spacing_max_seconds INT UNSIGNED NULL,
  typing        TINYINT(1) NULL,
  warmup_started_on DATE NULL,
  throttled_until DATETIME(6) NULL,
  last_health_at DATETIME(6) NULL,
  last_state_change_at DATETIME(6) NULL,
  last_sent_at  DATETIME(6) NULL,
  last_ack_at   DATETIME(6) NULL,
  connected_since DATETIME(6) NULL,
  disconnected_since DATETIME(6) NULL,
  deleted_at    DATETIME(6) NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_instances_name (name),
  UNIQUE KEY uq_instances_client (tenant_id, client_ref),
  KEY idx_instances_gateway (gateway_id, state),
  CONSTRAINT fk_instances_gateway FOREIGN KEY (gateway_id) REFERENCES gateways (id),
  CONSTRAINT fk_instances_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE pools (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  name          VARCHAR(100) NOT NULL,
  strategy      ENUM('round_robin','priority') NOT NULL DEFAULT 'round_robin',
  enabled       TINYINT(1) NOT NULL DEFAULT 1,
  admin_state   ENUM('active','suspended','draining') NOT NULL DEFAULT 'active',
  spacing_min_seconds INT UNSIGNED NULL,
  spacing_max_seconds INT UNSIGNED NULL,
  typing        TINYINT(1) NULL,
  rate_mps      INT UNSIGNED NULL,
  pair_per_minute INT UNSIGNED NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_pools_name (name),
  CONSTRAINT fk_pools_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE pool_members (
  pool_id       BIGINT UNSIGNED NOT NULL,
  instance_id   BIGINT UNSIGNED NOT NULL,
  position      INT NOT NULL DEFAULT 0,
  enabled       TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (pool_id, instance_id),
  KEY idx_pool_members_instance (instance_id),
  CONSTRAINT fk_members_pool FOREIGN KEY (pool_id) REFERENCES pools (id) ON DELETE CASCADE,
  CONSTRAINT fk_members_instance FOREIGN KEY (instance_id) REFERENCES instances (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- tenant + event name -> pool, template, where the phone and the idempotency key sit.
CREATE TABLE routes (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  event         VARCHAR(100) NOT NULL,
  pool_id       BIGINT UNSIGNED NOT NULL,
  template      TEXT NOT NULL,
  phone_path    VARCHAR(200) NOT NULL,
  key_path      VARCHAR(200) NULL,
  secret        VARCHAR(200) NOT NULL,
  validity_seconds INT UNSIGNED NULL,        -- shelf life: expires_at = accepted + validity
  priority      TINYINT UNSIGNED NOT NULL DEFAULT 10,   -- 10 transactional lane, 0 bulk
  active        TINYINT(1) NOT NULL DEFAULT 1,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_routes_event (tenant_id, event),
  CONSTRAINT fk_routes_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  CONSTRAINT fk_routes_pool FOREIGN KEY (pool_id) REFERENCES pools (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every webhook received, accepted or rejected (with the reason), for the Events view.
-- idem_key is set only on accepted events: the unique key is the dedupe.
CREATE TABLE webhook_events (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NULL,
  tenant_slug   VARCHAR(64)  NOT NULL,
  event         VARCHAR(100) NOT NULL,
  idem_key      VARCHAR(200) NULL,
  request_key   VARCHAR(200) NULL,
  intake_token  BINARY(16)   NOT NULL,
  status        ENUM('accepted','rejected') NOT NULL,
  http_status   SMALLINT UNSIGNED NOT NULL,
  reason        VARCHAR(500) NULL,
  content_type  VARCHAR(200) NULL,
  body          MEDIUMBLOB NULL,               -- first 64 KiB
  body_size     INT UNSIGNED NOT NULL DEFAULT 0,
  remote_addr   VARCHAR(64) NULL,
  received_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_events_idem (tenant_id, event, idem_key),
  UNIQUE KEY uq_events_token (intake_token),
  KEY idx_events_received (received_at),
  KEY idx_events_tenant (tenant_slug, status, received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The queue.  Claim index: (state, priority, not_before) serves
-- "WHERE state='pending' AND priority=? AND not_before <= NOW(6) ORDER BY not_before".
CREATE TABLE messages (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  event_id      BIGINT UNSIGNED NULL,
  route_id      BIGINT UNSIGNED NULL,
  campaign_id   BIGINT UNSIGNED NULL,
  pool_id       BIGINT UNSIGNED NULL,
  instance_id   BIGINT UNSIGNED NULL,          -- forced instance (the message names it outright)
  sent_instance_id BIGINT UNSIGNED NULL,       -- the instance that sent it
  failover_from_instance_id BIGINT UNSIGNED NULL,  -- sticky instance that was skipped
  priority      TINYINT UNSIGNED NOT NULL DEFAULT 10,
  state         ENUM('pending','sending','sent','delivered','read','failed','dead','expired','cancelled')
                NOT NULL DEFAULT 'pending',
  recipient     VARCHAR(32)  NOT NULL,         -- E.164
  kind          ENUM('text','media') NOT NULL DEFAULT 'text',
  body          TEXT NOT NULL,
  media_url     VARCHAR(1000) NULL,
  media_type    VARCHAR(100) NULL,
  not_before    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at    DATETIME(6) NULL,
  attempts      INT UNSIGNED NOT NULL DEFAULT 0,
  max_attempts  INT UNSIGNED NOT NULL DEFAULT 8,
  last_backoff_ms INT UNSIGNED NOT NULL DEFAULT 0,
  wait_reason   VARCHAR(64) NULL,              -- why a pending message is waiting (no_instance, daily_budget...)
  lease_owner   VARCHAR(64) NULL,
  lease_until   DATETIME(6) NULL,
  gateway_message_id VARCHAR(128) NULL,
  last_error    VARCHAR(500) NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  claimed_at    DATETIME(6) NULL,
  sent_at       DATETIME(6) NULL,
  delivered_at  DATETIME(6) NULL,
  read_at       DATETIME(6) NULL,
  finished_at   DATETIME(6) NULL,              -- failed/dead/expired/cancelled
  KEY idx_messages_claim (state, priority, not_before),
  KEY idx_messages_lease (state, lease_until),
  KEY idx_messages_created (created_at, state),
  KEY idx_messages_gateway_id (gateway_message_id),
  KEY idx_messages_instance (sent_instance_id, sent_at),
  KEY idx_messages_event (event_id),
  KEY idx_messages_campaign (campaign_id, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Sticky recipient: the instance that last wrote to a number keeps it.
CREATE TABLE recipient_affinity (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  recipient     VARCHAR(32) NOT NULL,
  instance_id   BIGINT UNSIGNED NOT NULL,
  updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, recipient)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
