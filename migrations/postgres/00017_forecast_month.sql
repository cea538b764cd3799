-- +goose Up
-- SQLite gets a month-keyed index for the forecast's open aggregate here
-- (see migrations/sqlite/00017_forecast_month.sql). PostgreSQL keeps
-- deals_forecast_open: it groups by hashing, which needs no order, and
-- to_char() cannot key an index. The number stays in step on both engines.
SELECT 1;

-- +goose Down
SELECT 1;
