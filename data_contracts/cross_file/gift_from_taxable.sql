-- rule: gift_from_taxable
-- action: quarantine
-- A gift of appreciated securities (issue 21) comes from a TAXABLE account: its point is the
-- capital gain never taxed (IRS Pub. 526, IRC 170(e)), and an IRA or Roth pays no tax on gains.
-- An IRA gives to charity as a qualified charitable distribution, in cash, outside this system.
-- The request is refused; the account trades as usual.
SELECT 'gift_requests' AS file, g._row AS "row", 'account_id' AS "column",
       g.account_id AS value, g.account_id,
       'gift request ' || g.request_id || ': account ' || g.account_id || ' is '
       || a.account_type || '; a gift of appreciated stock comes from a TAXABLE account (an IRA '
       || 'gives as a qualified charitable distribution, in cash)' AS message
FROM gift_requests g JOIN accounts a USING (account_id)
WHERE a.account_type <> 'TAXABLE'
