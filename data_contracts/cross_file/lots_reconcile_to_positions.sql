-- rule: lots_reconcile_to_positions
-- action: hold
-- The shares of an account's lots in a symbol add up to the custodian's position, within
-- settings.validation.reconciliation_tolerance_shares (PRODUCT.md, "reconcile custodian positions
-- against lots (a break holds the account)"). A lot with no position, or a position with no lots,
-- is a break too. The corporate actions going ex on the as-of date are applied to the lots first,
-- as the night's prepare step applies them (sma.ledger.apply_corporate_actions): the custodian's
-- positions already show them. A split multiplies the shares; a spin-off adds ratio x shares of
-- new_symbol; a stock or mixed merger and a ticker change move the shares to new_symbol (times
-- the ratio); a cash merger and worthlessness close them; cash in lieu keeps whole new shares.
WITH today AS (
    SELECT * FROM corporate_actions WHERE CAST(ex_date AS DATE) = $as_of
),
split AS (
    SELECT symbol, product(ratio) AS ratio FROM today WHERE kind = 'SPLIT' GROUP BY symbol
),
conversion AS (
    SELECT symbol, account_id, kind, new_symbol, coalesce(ratio, 1) AS ratio, cash_in_lieu_price
    FROM today WHERE kind IN ('SPINOFF', 'MERGER_STOCK', 'MERGER_MIXED', 'SYMBOL_CHANGE',
                              'MERGER_CASH', 'WORTHLESS')
),
lot_shares AS (
    SELECT l.account_id, l.symbol, l.quantity * coalesce(s.ratio, 1) AS quantity
    FROM lots l LEFT JOIN split s ON s.symbol = l.symbol
),
after_actions AS (
    SELECT ls.account_id, ls.symbol, ls.quantity FROM lot_shares ls
    WHERE NOT EXISTS (
        SELECT 1 FROM conversion c WHERE c.symbol = ls.symbol AND c.kind <> 'SPINOFF'
        AND (c.account_id IS NULL OR c.account_id = ls.account_id)
    )
    UNION ALL
    -- 1e-9: a ratio read as a double (0.29 x 100 = 28.999...) floors as the exact ratio does
    SELECT ls.account_id, c.new_symbol,
           CASE WHEN c.cash_in_lieu_price IS NULL OR c.kind = 'SYMBOL_CHANGE'
                THEN ls.quantity * c.ratio ELSE floor(ls.quantity * c.ratio + 1e-9) END
    FROM lot_shares ls JOIN conversion c ON c.symbol = ls.symbol
        AND (c.account_id IS NULL OR c.account_id = ls.account_id)
    WHERE c.kind IN ('SPINOFF', 'MERGER_STOCK', 'MERGER_MIXED', 'SYMBOL_CHANGE')
),
held AS (
    SELECT account_id, symbol, sum(quantity) AS lot_shares FROM after_actions
    GROUP BY account_id, symbol
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
