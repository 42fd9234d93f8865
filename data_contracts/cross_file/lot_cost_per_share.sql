-- rule: lot_cost_per_share
-- action: quarantine
-- A lot's cost per share (cost_basis / quantity) is at most 1,000 times the symbol's close on the
-- as-of date. The basis of shares bought is what was paid for them (IRS Publication 551, "Cost
-- Basis": stocks and bonds), so a cost per share a thousand times today's price means the
-- quantity or the basis is wrong: a lot of 1e-7 shares with a $1,000,000 basis (1e13 per share)
-- hides inside reconciliation's tolerance (settings.validation.reconciliation_tolerance_shares)
-- and would otherwise be harvested as a $1,000,000 loss. A real position that lost 99.9% still
-- passes; a split not yet applied to the lots (ratio at most a few dozen) does too. A symbol with
-- no close on the as-of date is left to price_on_as_of, which holds its accounts.
WITH close_on_as_of AS (
    SELECT symbol, max(close) AS close FROM prices WHERE CAST(date AS DATE) = $as_of GROUP BY symbol
)
SELECT 'lots' AS file, l._row AS "row", 'quantity' AS "column", CAST(l.quantity AS VARCHAR) AS value,
       l.account_id AS account_id,
       'lot ' || l.lot_id || ' of account ' || l.account_id || ': cost_basis ' || CAST(l.cost_basis AS VARCHAR)
       || ' for ' || CAST(l.quantity AS VARCHAR) || ' shares of ' || l.symbol || ' is '
       || printf('%.4g', l.cost_basis / l.quantity) || ' per share, over 1,000 times the close of '
       || CAST(c.close AS VARCHAR) || ' on ' || CAST($as_of AS VARCHAR)
       || ': correct the quantity or the cost basis' AS message
FROM lots l JOIN close_on_as_of c ON c.symbol = l.symbol
WHERE l.quantity > 0 AND l.cost_basis / l.quantity > 1000 * c.close
