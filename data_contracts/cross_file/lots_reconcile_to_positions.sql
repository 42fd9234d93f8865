-- rule: lots_reconcile_to_positions
-- action: hold
-- The shares of an account's lots in a symbol add up to the custodian's position, within
-- settings.validation.reconciliation_tolerance_shares (PRODUCT.md, "reconcile custodian positions
-- against lots (a break holds the account)"). A lot with no position, or a position with no lots,
-- is a break too. A split going ex on the as-of date is applied to the lots first: the
-- custodian's positions already show it (the night's prepare step applies it the same way).
WITH split AS (
    SELECT symbol, product(ratio) AS ratio FROM corporate_actions
    WHERE kind = 'SPLIT' AND CAST(ex_date AS DATE) = $as_of GROUP BY symbol
),
held AS (
    SELECT l.account_id, l.symbol, sum(l.quantity * coalesce(s.ratio, 1)) AS lot_shares
    FROM lots l LEFT JOIN split s ON s.symbol = l.symbol GROUP BY l.account_id, l.symbol
),
custodian AS (
    SELECT account_id, symbol, sum(quantity) AS position_shares FROM positions GROUP BY account_id, symbol
)
SELECT 'positions' AS file, NULL AS "row", 'quantity' AS "column",
       CAST(coalesce(c.position_shares, 0) AS VARCHAR) AS value,
       coalesce(h.account_id, c.account_id) AS account_id,
       'account ' || coalesce(h.account_id, c.account_id) || ' ' || coalesce(h.symbol, c.symbol)
       || ': lots hold ' || CAST(coalesce(h.lot_shares, 0) AS VARCHAR) || ' shares, the custodian '
       || CAST(coalesce(c.position_shares, 0) AS VARCHAR) AS message
FROM held h FULL OUTER JOIN custodian c ON h.account_id = c.account_id AND h.symbol = c.symbol
WHERE abs(coalesce(h.lot_shares, 0) - coalesce(c.position_shares, 0)) > $reconciliation_tolerance_shares
