-- rule: price_on_as_of
-- action: hold
-- Every symbol an account holds (in lots or positions) or that is in its benchmark has a close on
-- the as-of date; without it the account cannot be valued and is held. A benchmark symbol of a
-- benchmark nobody follows is reported with no account.
WITH priced AS (
    SELECT symbol FROM prices WHERE CAST(date AS DATE) = $as_of
),
needed AS (
    SELECT account_id, symbol FROM lots
    UNION SELECT account_id, symbol FROM positions
    UNION SELECT a.account_id, b.symbol FROM benchmarks b LEFT JOIN accounts a ON a.benchmark_id = b.benchmark_id
)
SELECT 'prices' AS file, NULL AS "row", 'close' AS "column", symbol AS value, account_id,
       'no close for ' || symbol || ' on ' || CAST($as_of AS VARCHAR)
       || coalesce(', needed by account ' || account_id, '') AS message
FROM needed
WHERE symbol NOT IN (SELECT symbol FROM priced)
