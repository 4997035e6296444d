-- 014_barcode: barcode attempts, the shopper's pay code scanned at the
-- counter. kind is '' for online attempts (our QR or Latipay's page) and
-- 'barcode' for a scanned code; pay_code_hash is a hash of the code (never
-- the code itself), so a repeated scan starts nothing new.
ALTER TABLE attempts ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN pay_code_hash TEXT NOT NULL DEFAULT '';
