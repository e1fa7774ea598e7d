package io.linesight.trainer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OwnerEvidenceTest {
    @Test
    void onlyTheSameOtherOwnerNamedTwiceInARowEndsTheLease() {
        TrainerLease.OwnerEvidence evidence = new TrainerLease.OwnerEvidence();
        assertFalse(evidence.conclusive("gone-member"), "one answer from a coordinator still loading the group");
        assertFalse(evidence.conclusive(null), "then it answers that nobody else owns the partition");
        assertFalse(evidence.conclusive("gone-member"), "named again after a clean answer: counting starts over");
        assertFalse(evidence.conclusive("other-member"), "another name is not the same evidence");
        assertTrue(evidence.conclusive("other-member"), "the same owner twice in a row");
    }

    @Test
    void aNewHoldForgetsTheSuspicion() {
        TrainerLease.OwnerEvidence evidence = new TrainerLease.OwnerEvidence();
        evidence.conclusive("standby");
        evidence.reset();
        assertFalse(evidence.conclusive("standby"));
    }
}
