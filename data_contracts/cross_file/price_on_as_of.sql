-- rule: price_on_as_of
-- action: hold
-- Every symbol an account holds (in lots or positions) or that is in its benchmark has a close on
-- the as-of date; without it the account cannot be valued and is held. A benchmark symbol of a
-- benchmark nobody follows is reported with no account.
-- (Each source is kept to its unpriced symbols before the union: a union of every account's
-- held symbols first took seconds on a large book, and a price is there for nearly all.)
WITH priced AS (
    SELECT symbol FROM prices WHERE CAST(date AS DATE) = $as_of
),
needed AS (
    SELECT account_id, symbol FROM lots WHERE symbol NOT IN (SELECT symbol FROM priced)
    UNION SELECT account_id, symbol FROM positions WHERE symbol NOT IN (SELECT symbol FROM priced)
    UNION SELECT a.account_id, b.symbol FROM benchmarks b LEFT JOIN accounts a ON a.benchmark_id = b.benchmark_id
          WHERE b.symbol NOT IN (SELECT symbol FROM priced)
)
SELECT 'prices' AS file, NULL AS "row", 'close' AS "column", symbol AS value, account_id,
       'no close for ' || symbol || ' on ' || CAST($as_of AS VARCHAR)
       || coalesce(', needed by account ' || account_id, '') AS message
FROM needed
