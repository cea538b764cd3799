-- +goose Up
-- Products and orders (internal/order). Money is an integer of minor units
-- beside its ISO 4217 code. An order's contact is required when it is
-- placed but nullable here: erasing a person (GDPR) detaches them and keeps
-- the anonymous order for the books.
CREATE TABLE products (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    sort_name   text NOT NULL,
    sku         text,
    price       bigint NOT NULL DEFAULT 0 CHECK (price >= 0),
    currency    text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    created_by  uuid,
    updated_by  uuid,
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX products_sku ON products (sku) WHERE deleted_at IS NULL AND sku IS NOT NULL;
CREATE INDEX products_name ON products (sort_name, id) WHERE deleted_at IS NULL;

-- The last order number handed out; one row, locked by the UPDATE that
-- takes the next number, so concurrent orders never share one.
CREATE TABLE order_numbers (
    id   integer PRIMARY KEY CHECK (id = 1),
    last bigint NOT NULL
);
INSERT INTO order_numbers (id, last) VALUES (1, 1000);

CREATE TABLE orders (
    id         uuid PRIMARY KEY,
    number     bigint NOT NULL UNIQUE,
    contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
    company_id uuid REFERENCES companies (id) ON DELETE SET NULL,
    deal_id    uuid REFERENCES deals (id) ON DELETE SET NULL,
    owner_id   uuid REFERENCES users (id),
    order_date date NOT NULL,
    status     text NOT NULL DEFAULT 'pending',
    currency   text NOT NULL,
    total      bigint NOT NULL DEFAULT 0,
    notes      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz
);
-- A deal becomes at most one order, even if it is won twice.
CREATE UNIQUE INDEX orders_deal ON orders (deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX orders_contact ON orders (contact_id, order_date, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_company ON orders (company_id, order_date, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_list ON orders (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE order_lines (
    id          uuid PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    product_id  uuid REFERENCES products (id),
    description text NOT NULL,
    quantity    bigint NOT NULL CHECK (quantity > 0),
    unit_price  bigint NOT NULL CHECK (unit_price >= 0),
    line_total  bigint NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id, position);
CREATE INDEX order_lines_product ON order_lines (product_id, order_id);

-- The products on a deal before it is won; they become the order's lines.
CREATE TABLE deal_products (
    id         uuid PRIMARY KEY,
    deal_id    uuid NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    product_id uuid NOT NULL REFERENCES products (id),
    position   integer NOT NULL,
    quantity   bigint NOT NULL CHECK (quantity > 0),
    unit_price bigint NOT NULL CHECK (unit_price >= 0),
    created_at timestamptz NOT NULL
);
CREATE INDEX deal_products_deal ON deal_products (deal_id, position);

-- The forecast (internal/forecast) reads open deals by expected close
-- month and closed deals by the month they closed; these cover both
-- aggregates, so they never read the deal rows.
CREATE INDEX deals_forecast_open ON deals (pipeline_id, close_date, owner_id, currency, stage_id, amount, status, deleted_at)
    WHERE deleted_at IS NULL AND status = 'open';
CREATE INDEX deals_forecast_closed ON deals (pipeline_id, closed_at, status, owner_id, currency, amount, deleted_at)
    WHERE deleted_at IS NULL AND closed_at IS NOT NULL;

-- +goose Down
DROP INDEX deals_forecast_closed;
DROP INDEX deals_forecast_open;
DROP TABLE deal_products;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE order_numbers;
DROP TABLE products;
