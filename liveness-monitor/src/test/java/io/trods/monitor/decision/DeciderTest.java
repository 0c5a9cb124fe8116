package io.trods.monitor.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.AgentRegistration;
import io.trods.control.Backend;
import io.trods.control.DesiredState;
import io.trods.control.FailedServer;
import io.trods.control.ServerOverride;
import io.trods.control.VirtualService;
import io.trods.monitor.decision.Decision.Action;
import io.trods.monitor.health.HealthState;
import io.trods.monitor.health.HealthView;
import io.trods.monitor.probe.ProbeOutcome;
import io.trods.monitor.probe.ProbeResult;
import io.trods.monitor.probe.ProbeSpec;
import io.trods.monitor.probe.ServerEndpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DeciderTest {

    private static final long NOW = 1_000_000;
    private static final ProbeSpec PROBE = new ProbeSpec("http", "/healthz", 200, 0, 50, 150, 500, 2, 3);
    private static final ServiceSpec WEB = new ServiceSpec("web", "198.18.0.10", 80, "mh", "nat", List.of(), PROBE);

    /**
     * One row: the health of s1..s3 (U=UP, S=UP but its latest probe failed, D=DOWN, H=HELD_DOWN,
     * ?=UNKNOWN), the previous document's
     * entry of each (b=backend, f=failed, -=absent), and the expected entry (b, f, - ) and actions.
     */
    static Stream<Arguments> table() {
        return Stream.of(
                // health, previous, expected, actions
                Arguments.of("UUU", "---", "bbb", "ADD,ADD,ADD"),
                Arguments.of("UUU", "bbb", "bbb", ""),
                Arguments.of("UUD", "bbb", "bbf", "REMOVE"),
                Arguments.of("UUH", "bbb", "bbf", "REMOVE"),
                Arguments.of("UUD", "bbf", "bbf", ""),
                // recovery: back up leaves failed
                Arguments.of("UUU", "bbf", "bbb", "RECOVER"),
                // UNKNOWN keeps the previous document, whatever it said, and lists nothing new
                Arguments.of("???", "bbf", "bbf", ""),
                Arguments.of("U??", "b--", "b--", ""),
                // panic: 1 of 3 alive < 50 %: backends stay, already failed stays failed
                Arguments.of("UDD", "bbb", "bbb", "PANIC_HOLD,PANIC_HOLD"),
                Arguments.of("DDD", "bbb", "bbb", "PANIC_HOLD,PANIC_HOLD,PANIC_HOLD"),
                Arguments.of("UDD", "bbf", "bbf", "PANIC_HOLD"),
                // 2 of 3 alive is not a panic
                Arguments.of("UUD", "bbb", "bbf", "REMOVE"),
                // ... but a server whose latest probe failed does not count as alive: servers failing
                // together (the monitor's link cut) are seen together, not removed one by one
                Arguments.of("DSU", "bbb", "bbb", "PANIC_HOLD"),
                Arguments.of("UUS", "bbb", "bbb", ""),
                // a member down before it was ever a backend is listed failed, panic or not
                Arguments.of("DDD", "---", "fff", "REMOVE,REMOVE,REMOVE"));
    }

    @ParameterizedTest(name = "health {0}, previous {1} -> {2} [{3}]")
    @MethodSource("table")
    void decides(String health, String previous, String expected, String actions) {
        List<Member> members = new ArrayList<>();
        Map<ServerEndpoint, HealthView> views = new HashMap<>();
        List<Backend> backends = new ArrayList<>();
        List<FailedServer> failed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Member m = member("s" + (i + 1));
            members.add(m);
            views.put(m.endpoint(), view(health.charAt(i)));
            switch (previous.charAt(i)) {
                case 'b' -> backends.add(new Backend(m.serverId(), m.address(), 80, 1));
                case 'f' -> failed.add(new FailedServer(m.serverId(), m.address(), "earlier", NOW - 500));
                default -> { }
            }
        }
        DesiredState before = previous.equals("---") ? null : doc(7, backends, failed);

        Outcome out = decide(members, views, Map.of(), before);

        VirtualService web = out.services().get(0);
        StringBuilder got = new StringBuilder();
        for (Member m : members) {
            got.append(web.backend(m.serverId()).isPresent() ? 'b' : web.hasFailed(m.serverId()) ? 'f' : '-');
        }
        assertThat(got.toString()).isEqualTo(expected);
        assertThat(String.join(",", out.decisions().stream().map(d -> d.action().name()).toList())).isEqualTo(actions);
    }

    @Test
    void failedEntryKeepsItsFirstReasonAndTime() {
        Member s1 = member("s1");
        Map<ServerEndpoint, HealthView> down = Map.of(s1.endpoint(),
                new HealthView(HealthState.DOWN, NOW - 10, "2 consecutive failures: connection refused", List.of()));
        Outcome first = decide(List.of(s1, member("s2"), member("s3")), withUp(down, "s2", "s3"), Map.of(),
                doc(1, List.of(backend("s1"), backend("s2"), backend("s3")), List.of()));

        FailedServer f = first.services().get(0).failed().get(0);
        assertThat(f).isEqualTo(new FailedServer("s1", "10.0.0.1", "2 consecutive failures: connection refused", NOW));
        assertThat(first.decisions()).singleElement().satisfies(d -> {
            assertThat(d.action()).isEqualTo(Action.REMOVE);
            assertThat(d.reason()).contains("connection refused");
        });

        // Re-evaluated later with another reason: the document must not change.
        DesiredState published = doc(2, first.services().get(0).backends(), List.of(f));
        Map<ServerEndpoint, HealthView> held = Map.of(s1.endpoint(),
                new HealthView(HealthState.HELD_DOWN, NOW + 5, "flapping", List.of()));
        Outcome again = decide(List.of(s1, member("s2"), member("s3")), withUp(held, "s2", "s3"), Map.of(), published);
        assertThat(new DesiredState(3, NOW, "m", again.services()).sameDecisionAs(published)).isTrue();
        assertThat(again.decisions()).isEmpty();
    }

    @Test
    void drainWeightAndUndrainComeFromOverrides() {
        List<Member> members = List.of(member("s1"), member("s2"), new Member("s3", "10.0.0.3", 80, 5, MemberSource.CONFIGURED));
        Map<ServerEndpoint, HealthView> up = withUp(Map.of(), "s1", "s2", "s3");
        DesiredState before = doc(3, List.of(backend("s1"), backend("s2"), new Backend("s3", "10.0.0.3", 80, 5)), List.of());
        Map<String, ServerOverride> overrides = Map.of(
                "s1", new ServerOverride("s1", true, null, "ops", NOW),
                "s2", new ServerOverride("s2", false, 7, "ops", NOW));

        Outcome out = decide(members, up, overrides, before);

        VirtualService web = out.services().get(0);
        assertThat(web.backend("s1").orElseThrow().weight()).isZero();
        assertThat(web.backend("s2").orElseThrow().weight()).isEqualTo(7);
        assertThat(web.backend("s3").orElseThrow().weight()).isEqualTo(5);
        assertThat(out.decisions()).extracting(Decision::action).containsExactly(Action.DRAIN, Action.WEIGHT);

        DesiredState drained = doc(4, web.backends(), List.of());
        Outcome undrained = decide(members, up, Map.of("s1", new ServerOverride("s1", false, null, "ops", NOW)), drained);
        assertThat(undrained.services().get(0).backend("s1").orElseThrow().weight()).isEqualTo(1);
        assertThat(undrained.decisions()).extracting(Decision::action).containsExactly(Action.UNDRAIN, Action.WEIGHT);
    }

    @Test
    void aRememberedFailedServerIsForgottenAfterTheRetention() {
        DesiredState before = doc(5, List.of(backend("s2")),
                List.of(new FailedServer("gone", "10.0.0.9", "refused", NOW - 60_000)));
        List<Member> members = Membership.of(WEB, List.of(
                new AgentRegistration("s2", "10.0.0.2", 80, List.of("198.18.0.10:80"), 0)), before, Map.of());
        assertThat(members).extracting(Member::source).containsExactly(MemberSource.REGISTERED, MemberSource.REMEMBERED);
        assertThat(members.get(1).endpoint()).as("a failed entry has no port: not probed").isNull();

        Outcome kept = Decider.decide(new DeciderInput(List.of(WEB), Map.of("web", members),
                t -> withUp(Map.of(), "s2").getOrDefault(t.server(), HealthView.UNKNOWN), Map.of(), before, 0.5, 120_000, NOW));
        assertThat(kept.services().get(0).hasFailed("gone")).isTrue();

        Outcome forgotten = Decider.decide(new DeciderInput(List.of(WEB), Map.of("web", members),
                t -> withUp(Map.of(), "s2").getOrDefault(t.server(), HealthView.UNKNOWN), Map.of(), before, 0.5, 60_000, NOW));
        assertThat(forgotten.services().get(0).failed()).isEmpty();
        assertThat(forgotten.decisions()).extracting(Decision::action).containsExactly(Action.FORGET);
    }

    @Test
    void membershipTakesConfiguredThenRegisteredThenRemembered() {
        ServiceSpec spec = new ServiceSpec("web", "198.18.0.10", 80, "mh", "nat",
                List.of(new Member("s1", "10.0.0.1", 8080, 3, MemberSource.CONFIGURED)), PROBE);
        List<AgentRegistration> agents = List.of(
                new AgentRegistration("s1", "10.0.0.1", 80, List.of("198.18.0.10:80"), 0),
                new AgentRegistration("s2", "10.0.0.2", 80, List.of("198.18.0.10:80"), 0),
                new AgentRegistration("other", "10.0.0.5", 80, List.of("198.18.0.11:80"), 0));
        DesiredState before = doc(1, List.of(backend("s2"), backend("s4")), List.of());

        List<Member> members = Membership.of(spec, agents, before, Map.of());

        assertThat(members).extracting(Member::serverId).containsExactly("s1", "s2", "s4");
        assertThat(members.get(0).port()).isEqualTo(8080);
        assertThat(members.get(2).source()).isEqualTo(MemberSource.REMEMBERED);
    }

    private static Outcome decide(List<Member> members, Map<ServerEndpoint, HealthView> health,
            Map<String, ServerOverride> overrides, DesiredState previous) {
        return Decider.decide(new DeciderInput(List.of(WEB), Map.of("web", members),
                t -> health.getOrDefault(t.server(), HealthView.UNKNOWN), overrides, previous, 0.5, 60_000, NOW));
    }

    private static Map<ServerEndpoint, HealthView> withUp(Map<ServerEndpoint, HealthView> base, String... ids) {
        Map<ServerEndpoint, HealthView> all = new HashMap<>(base);
        for (String id : ids) {
            all.put(member(id).endpoint(), view('U'));
        }
        return all;
    }

    private static HealthView view(char c) {
        HealthState state = switch (c) {
            case 'U', 'S' -> HealthState.UP;
            case 'D' -> HealthState.DOWN;
            case 'H' -> HealthState.HELD_DOWN;
            default -> HealthState.UNKNOWN;
        };
        List<ProbeResult> recent = c == 'S'
                ? List.of(new ProbeResult(ProbeOutcome.SUCCESS, 100, "200", NOW - 60), new ProbeResult(ProbeOutcome.TIMEOUT, 150_000, "timed out", NOW - 10))
                : List.of();
        return new HealthView(state, NOW - 100, state == HealthState.UP ? "3 consecutive successes" : "2 consecutive failures: refused", recent);
    }

    private static Member member(String id) {
        return new Member(id, "10.0.0." + id.substring(1), 80, 1, MemberSource.REGISTERED);
    }

    private static Backend backend(String id) {
        return new Backend(id, "10.0.0." + id.substring(1), 80, 1);
    }

    private static DesiredState doc(long version, List<Backend> backends, List<FailedServer> failed) {
        return new DesiredState(version, NOW - 1000, "m", List.of(
                new VirtualService("web", "198.18.0.10", 80, "tcp", "mh", "nat", backends, failed)));
    }
}
