DROP INDEX genp_unique;
ALTER TABLE genp ADD COLUMN "h_zzzk" BLOB;
UPDATE genp SET "h_zzzk" = X'00';
ALTER TABLE genp ADD COLUMN "h_zzzn" BLOB;
CREATE UNIQUE INDEX genp_unique ON genp("h_svce", "h_acct", "h_agrp", "h_sync", "h_vwht", "h_tkid", "h_zzzk");
CREATE INDEX genp_zzzn ON genp("h_zzzn");
CREATE TABLE newc (rowid INTEGER PRIMARY KEY, persistref BLOB NOT NULL, pdmn TEXT NOT NULL, "h_agrp" BLOB, "h_labl" BLOB, blob BLOB NOT NULL);
CREATE UNIQUE INDEX newc_unique ON newc("h_agrp");
CREATE INDEX newc_labl ON newc("h_labl");
