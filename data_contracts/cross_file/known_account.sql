-- rule: known_account
-- action: quarantine
-- Every account-scoped row (restrictions, tilts, lots, cash, cash flows, transactions,
-- positions, a corporate action limited to one account, sleeves, gift requests) belongs to an account with a clean
-- row in accounts. Such a row is refused; the
-- account (if it exists) is held.
SELECT 'restrictions' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM restrictions WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'tilts' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM tilts WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'lots' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM lots WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'cash' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM cash WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'cash_flows' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM cash_flows WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'transactions' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM transactions WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'positions' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM positions WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'corporate_actions' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM corporate_actions
WHERE account_id IS NOT NULL AND account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'sleeves' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM sleeves WHERE account_id NOT IN (SELECT account_id FROM accounts)
UNION ALL
SELECT 'gift_requests' AS file, _row AS "row", 'account_id' AS "column", account_id AS value, account_id,
       CASE WHEN account_id IN (SELECT account_id FROM accounts_all)
            THEN 'account ' || account_id || ' was refused in accounts'
            ELSE 'account ' || account_id || ' is not in accounts' END AS message
FROM gift_requests WHERE account_id NOT IN (SELECT account_id FROM accounts)
