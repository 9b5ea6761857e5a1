-- Migration claims 0012_claim_totals, backward. A snapshot: never edited later.
DROP TRIGGER claim_totals_insert ON claims_claim;
DROP TRIGGER claim_totals_update ON claims_claim;
DROP TRIGGER claim_totals_delete ON claims_claim;
DROP FUNCTION claims_claim_totals_apply();
