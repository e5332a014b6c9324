-- 003-campaigns-inbound.sql: bulk campaigns, inbound messages and the Chatwoot bridge.
-- Modelled now so the later issues extend the schema instead of rewriting it.

CREATE TABLE campaigns (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  pool_id       BIGINT UNSIGNED NOT NULL,
  name          VARCHAR(200) NOT NULL,
  template      TEXT NOT NULL,
  state         ENUM('draft','running','paused','cancelled','done') NOT NULL DEFAULT 'draft',
  batch_size    INT UNSIGNED NOT NULL DEFAULT 50,
  batch_interval_seconds INT UNSIGNED NOT NULL DEFAULT 60,
  next_batch_at DATETIME(6) NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  CONSTRAINT fk_campaigns_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  CONSTRAINT fk_campaigns_pool FOREIGN KEY (pool_id) REFERENCES pools (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE campaign_recipients (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  campaign_id   BIGINT UNSIGNED NOT NULL,
  recipient     VARCHAR(32) NOT NULL,
  variables     JSON NULL,
  message_id    BIGINT UNSIGNED NULL,         -- set when the batch expands it into the queue
  UNIQUE KEY uq_campaign_recipient (campaign_id, recipient),
  KEY idx_campaign_pending (campaign_id, message_id),
  CONSTRAINT fk_recipients_campaign FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE inbound_messages (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  instance_id   BIGINT UNSIGNED NOT NULL,
  gateway_message_id VARCHAR(128) NOT NULL,
  sender        VARCHAR(64) NOT NULL,          -- E.164 or the raw JID (@lid) when no phone is known
  sender_raw    VARCHAR(128) NULL,
  body          TEXT NULL,
  received_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  bridged_at    DATETIME(6) NULL,
  UNIQUE KEY uq_inbound_gateway_id (instance_id, gateway_message_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE chatwoot_links (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id     BIGINT UNSIGNED NOT NULL,
  base_url      VARCHAR(500) NOT NULL,
  account_id    BIGINT UNSIGNED NOT NULL,
  inbox_id      BIGINT UNSIGNED NOT NULL,
  api_token     VARCHAR(500) NOT NULL,
  webhook_secret VARCHAR(200) NULL,
  pool_id       BIGINT UNSIGNED NOT NULL,
  UNIQUE KEY uq_chatwoot_tenant (tenant_id, inbox_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
