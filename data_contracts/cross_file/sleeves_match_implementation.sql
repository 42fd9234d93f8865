-- rule: sleeves_match_implementation
-- action: quarantine
-- Only a UMA account holds sleeves (issue 19): a sleeve of a MANAGER_TRADED account (an account
-- whose implementation is blank counts as MANAGER_TRADED) is refused, and the account held.
SELECT 'sleeves' AS file, l._row AS "row", 'account_id' AS "column", l.account_id AS value,
       l.account_id,
       'account ' || l.account_id || ' is ' || coalesce(a.implementation, 'MANAGER_TRADED')
       || ', not UMA: it has no sleeves' AS message
FROM sleeves l JOIN accounts a USING (account_id)
WHERE coalesce(a.implementation, 'MANAGER_TRADED') <> 'UMA'
