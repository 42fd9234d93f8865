-- rule: cash_row
-- action: hold
-- Every account has its cash balance in cash; an account without one is held.
SELECT 'cash' AS file, NULL AS "row", 'account_id' AS "column", account_id AS value, account_id,
       'account ' || account_id || ' has no row in cash' AS message
FROM accounts
WHERE account_id NOT IN (SELECT account_id FROM cash)
