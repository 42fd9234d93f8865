-- rule: one_household_per_account
-- action: quarantine
-- An account belongs to one household: wash sales are matched across a household's accounts
-- (PRODUCT.md, tax rules), so an account listed under two households is refused in every row
-- and held.
SELECT 'accounts' AS file, _row AS "row", 'household_id' AS "column", household_id AS value,
       account_id,
       'account ' || account_id || ' is listed under more than one household' AS message
FROM accounts_all
WHERE account_id IN (
    SELECT account_id FROM accounts_all
    WHERE account_id IS NOT NULL AND household_id IS NOT NULL
    GROUP BY account_id HAVING count(DISTINCT household_id) > 1
)
