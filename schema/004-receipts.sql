-- 004-receipts.sql: delivery receipts keyed by the gateway's message id.
-- A gateway may acknowledge a send (SERVER_ACK, DELIVERY_ACK) before the
-- daemon has written the message's gateway id back: the receipt waits
-- here and the daemon applies it when it records the send.  Status only
-- ever rises (sent < delivered < read); failed is kept only below delivered.
CREATE TABLE delivery_receipts (
  instance_id   BIGINT UNSIGNED NOT NULL,
  gateway_message_id VARCHAR(128) NOT NULL,
  status        ENUM('failed','sent','delivered','read') NOT NULL,
  received_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (instance_id, gateway_message_id),
  KEY idx_receipts_received (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
