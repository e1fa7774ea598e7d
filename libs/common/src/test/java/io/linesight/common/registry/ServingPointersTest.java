package io.linesight.common.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import org.junit.jupiter.api.Test;

class ServingPointersTest {
    private static ModelVersion pointer(int version, ModelStatus status, long createdAtMs) {
        return ModelVersion.newBuilder().setModelName("neu").setVersion(version).setStatus(status).setCreatedAtMs(createdAtMs).build();
    }

    @Test
    void aShadowRunsOnlyBesideTheExactServingPointerItWasAnnouncedBeside() {
        ModelVersion v1 = pointer(1, ModelStatus.SERVING, 1000);
        ModelVersion shadow = ServingPointers.shadowBeside(pointer(3, ModelStatus.SERVING, 2000), v1);
        assertEquals(ModelStatus.SHADOW, shadow.getStatus());
        assertEquals("neu/shadow", ServingPointers.key(shadow));
        assertTrue(ServingPointers.runsBeside(shadow, v1));
        // Promoted (version 3 serves), then rolled back to version 1: after compaction a restarted service reads only
        // the SHADOW record and the rollback. The rollback is a new pointer of version 1, so the shadow stays ended.
        assertFalse(ServingPointers.runsBeside(shadow, pointer(3, ModelStatus.SERVING, 3000)));
        assertFalse(ServingPointers.runsBeside(shadow, pointer(1, ModelStatus.ROLLED_BACK, 4000)));
        assertFalse(ServingPointers.runsBeside(shadow, null), "nothing serves yet");
        assertFalse(ServingPointers.runsBeside(shadow.toBuilder().setStatus(ModelStatus.REJECTED).build(), v1), "ended");
        assertFalse(ServingPointers.runsBeside(ServingPointers.shadowBeside(pointer(1, ModelStatus.SERVING, 2000), v1), v1),
                "a version is no shadow of itself");
    }

    @Test
    void anEndStopsOnlyTheShadowItNames() {
        ModelVersion p1 = pointer(1, ModelStatus.SERVING, 1000);
        ModelVersion p2 = pointer(1, ModelStatus.ROLLED_BACK, 5000);
        ModelVersion first = ServingPointers.shadowBeside(pointer(3, ModelStatus.SERVING, 2000), p1);
        ModelVersion again = ServingPointers.shadowBeside(pointer(3, ModelStatus.SERVING, 6000), p2);
        ModelVersion endOfFirst = first.toBuilder().setStatus(ModelStatus.REJECTED).build();
        assertTrue(ServingPointers.ends(endOfFirst, first));
        assertFalse(ServingPointers.ends(endOfFirst, again), "a late end of the first shadow leaves the second running");
        ModelVersion byHand = ModelVersion.newBuilder().setModelName("neu").setVersion(3).setStatus(ModelStatus.REJECTED).build();
        assertTrue(ServingPointers.ends(byHand, again), "./run shadow --end ends whatever shadow of version 3 runs");
        assertFalse(ServingPointers.ends(byHand.toBuilder().setVersion(4).build(), again));
        assertFalse(ServingPointers.ends(again, again), "a SHADOW record ends nothing");
        assertFalse(ServingPointers.ends(byHand, null));
    }
}
