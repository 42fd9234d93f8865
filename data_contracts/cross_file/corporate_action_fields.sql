-- rule: corporate_action_fields
-- action: quarantine
-- Every corporate action carries the fields its kind needs (shared/CORPORATE_ACTIONS.md, "Per-action
-- fields and effects"; sma.ledger.CORPORATE_ACTION_FIELDS): ratio for SPLIT, SPINOFF,
-- MERGER_STOCK and MERGER_MIXED; new_symbol for every kind that hands out another security;
-- basis_fraction for SPINOFF; price for MERGER_CASH; cash_per_share and new_share_price for
-- MERGER_MIXED; amount_per_share for RETURN_OF_CAPITAL. A row missing one is refused: applying
-- half an action would break every share and dollar of basis it touches.
WITH needed(kind, field) AS (
    VALUES ('SPLIT', 'ratio'), ('SPINOFF', 'ratio'), ('SPINOFF', 'new_symbol'),
           ('SPINOFF', 'basis_fraction'), ('MERGER_STOCK', 'ratio'), ('MERGER_STOCK', 'new_symbol'),
           ('MERGER_CASH', 'price'), ('MERGER_MIXED', 'ratio'), ('MERGER_MIXED', 'new_symbol'),
           ('MERGER_MIXED', 'cash_per_share'), ('MERGER_MIXED', 'new_share_price'),
           ('SYMBOL_CHANGE', 'new_symbol'), ('RETURN_OF_CAPITAL', 'amount_per_share')
),
given AS (
    SELECT _row, kind, symbol, account_id, 'ratio' AS field, ratio IS NOT NULL AS present FROM corporate_actions
    UNION ALL SELECT _row, kind, symbol, account_id, 'new_symbol', new_symbol IS NOT NULL FROM corporate_actions
    UNION ALL SELECT _row, kind, symbol, account_id, 'basis_fraction', basis_fraction IS NOT NULL FROM corporate_actions
    UNION ALL SELECT _row, kind, symbol, account_id, 'price', price IS NOT NULL FROM corporate_actions
    UNION ALL SELECT _row, kind, symbol, account_id, 'cash_per_share', cash_per_share IS NOT NULL FROM corporate_actions
    UNION ALL SELECT _row, kind, symbol, account_id, 'new_share_price', new_share_price IS NOT NULL FROM corporate_actions
    UNION ALL SELECT _row, kind, symbol, account_id, 'amount_per_share', amount_per_share IS NOT NULL FROM corporate_actions
)
SELECT 'corporate_actions' AS file, g._row AS "row", g.field AS "column", NULL AS value,
       g.account_id AS account_id,
       g.kind || ' of ' || g.symbol || ' needs ' || g.field AS message
FROM given g JOIN needed n ON n.kind = g.kind AND n.field = g.field
WHERE NOT g.present
