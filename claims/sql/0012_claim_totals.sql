-- Migration claims 0012_claim_totals, forward. A snapshot: never edited later.
-- The claims list's totals per employer, policy year and status (claims_claimtotal), kept
-- by statement triggers on claims_claim in the same database transaction: each statement's
-- rows are summed once (a file's thousand claims: one upsert per employer, year and
-- status), in key order (two statements lock the rows they share in the same order). An
-- update that moves no count or amount between keys (a claim's payment date, its
-- forwarding) writes nothing. The claims already in the table are summed once, after the
-- triggers exist and under their lock, so that no claim is missed or counted twice.
--
-- A statement may name only its own trigger's transition tables: an insert has the new
-- rows, a delete the old, an update both (the old values leave their key, the new join
-- theirs); hence three statements of the same shape.

CREATE FUNCTION claims_claim_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO claims_claimtotal AS c (employer_id, policy_year, status, count, billed,
                                            allowed, trust_fund_amount, employee_amount,
                                            carrier_amount)
        SELECT employer_id, policy_year, status, count(*), sum(billed), sum(allowed),
               sum(trust_fund_amount), sum(employee_amount), sum(carrier_amount)
          FROM claim_totals_new
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (employer_id, policy_year, status) DO UPDATE
           SET count = c.count + EXCLUDED.count,
               billed = c.billed + EXCLUDED.billed,
               allowed = c.allowed + EXCLUDED.allowed,
               trust_fund_amount = c.trust_fund_amount + EXCLUDED.trust_fund_amount,
               employee_amount = c.employee_amount + EXCLUDED.employee_amount,
               carrier_amount = c.carrier_amount + EXCLUDED.carrier_amount;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO claims_claimtotal AS c (employer_id, policy_year, status, count, billed,
                                            allowed, trust_fund_amount, employee_amount,
                                            carrier_amount)
        SELECT employer_id, policy_year, status, -count(*), -sum(billed), -sum(allowed),
               -sum(trust_fund_amount), -sum(employee_amount), -sum(carrier_amount)
          FROM claim_totals_old
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (employer_id, policy_year, status) DO UPDATE
           SET count = c.count + EXCLUDED.count,
               billed = c.billed + EXCLUDED.billed,
               allowed = c.allowed + EXCLUDED.allowed,
               trust_fund_amount = c.trust_fund_amount + EXCLUDED.trust_fund_amount,
               employee_amount = c.employee_amount + EXCLUDED.employee_amount,
               carrier_amount = c.carrier_amount + EXCLUDED.carrier_amount;
    ELSE
        WITH moved AS (
            SELECT employer_id, policy_year, status, -1 AS n, -billed AS billed,
                   -allowed AS allowed, -trust_fund_amount AS trust_fund_amount,
                   -employee_amount AS employee_amount, -carrier_amount AS carrier_amount
              FROM claim_totals_old
            UNION ALL
            SELECT employer_id, policy_year, status, 1, billed, allowed, trust_fund_amount,
                   employee_amount, carrier_amount
              FROM claim_totals_new
        )
        INSERT INTO claims_claimtotal AS c (employer_id, policy_year, status, count, billed,
                                            allowed, trust_fund_amount, employee_amount,
                                            carrier_amount)
        SELECT employer_id, policy_year, status, sum(n), sum(billed), sum(allowed),
               sum(trust_fund_amount), sum(employee_amount), sum(carrier_amount)
          FROM moved
         GROUP BY 1, 2, 3
        HAVING sum(n) <> 0 OR sum(billed) <> 0 OR sum(allowed) <> 0
            OR sum(trust_fund_amount) <> 0 OR sum(employee_amount) <> 0
            OR sum(carrier_amount) <> 0
         ORDER BY 1, 2, 3
        ON CONFLICT (employer_id, policy_year, status) DO UPDATE
           SET count = c.count + EXCLUDED.count,
               billed = c.billed + EXCLUDED.billed,
               allowed = c.allowed + EXCLUDED.allowed,
               trust_fund_amount = c.trust_fund_amount + EXCLUDED.trust_fund_amount,
               employee_amount = c.employee_amount + EXCLUDED.employee_amount,
               carrier_amount = c.carrier_amount + EXCLUDED.carrier_amount;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER claim_totals_insert AFTER INSERT ON claims_claim
    REFERENCING NEW TABLE AS claim_totals_new
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claim_totals_apply();
CREATE TRIGGER claim_totals_update AFTER UPDATE ON claims_claim
    REFERENCING OLD TABLE AS claim_totals_old NEW TABLE AS claim_totals_new
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claim_totals_apply();
CREATE TRIGGER claim_totals_delete AFTER DELETE ON claims_claim
    REFERENCING OLD TABLE AS claim_totals_old
    FOR EACH STATEMENT EXECUTE FUNCTION claims_claim_totals_apply();

INSERT INTO claims_claimtotal (employer_id, policy_year, status, count, billed, allowed,
                               trust_fund_amount, employee_amount, carrier_amount)
SELECT employer_id, policy_year, status, count(*), sum(billed), sum(allowed),
       sum(trust_fund_amount), sum(employee_amount), sum(carrier_amount)
  FROM claims_claim
 GROUP BY 1, 2, 3;
