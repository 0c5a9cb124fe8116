package io.trods.monitor.health;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Turns one endpoint's probe results into a health state, without I/O or clocks (time is passed in).
 *
 * <ul>
 * <li>UNKNOWN → UP after {@code rise} consecutive successes, → DOWN after {@code fall} consecutive failures;
 * <li>UP → DOWN after {@code fall} failures; DOWN → UP after {@code rise} successes;
 * <li>a change between UP and DOWN that makes more than {@code maxTransitions} within {@code window}
 *     becomes HELD_DOWN instead (the first verdict out of UNKNOWN is not a flap); successes do not
 *     count while held down; when the hold-down is over the server is DOWN and needs {@code rise}
 *     successes like any other.
 * </ul>
 * Not thread-safe: one caller per endpoint.
 */
public final class Dampener {

    private final DampenerSettings settings;
    private final Deque<Long> transitionTimes = new ArrayDeque<>();
    private HealthState state = HealthState.UNKNOWN;
    private long sinceMillis;
    private String reason = "not probed yet";
    private int successes;
    private int failures;
    private long heldUntilMillis;

    public Dampener(DampenerSettings settings, long nowMillis) {
        this.settings = settings;
        this.sinceMillis = nowMillis;
    }

    /** Feeds one probe result; returns the transitions it caused (usually none, at most two). */
    public List<Transition> record(boolean success, String detail, long nowMillis) {
        List<Transition> transitions = new ArrayList<>(2);
        if (state == HealthState.HELD_DOWN && nowMillis >= heldUntilMillis) {
            transitions.add(move(HealthState.DOWN, "hold-down of " + duration(settings.holdDownMillis())
                    + " over, waiting for " + settings.rise() + " consecutive successes", nowMillis));
        }
        if (success) {
            successes++;
            failures = 0;
        } else {
            failures++;
            successes = 0;
        }
        HealthState target = target();
        if (target != state) {
            String why = target == HealthState.UP
                    ? successes + " consecutive successes"
                    : failures + " consecutive failures: " + detail;
            transitions.add(flapping(nowMillis) ? holdDown(nowMillis) : move(target, why, nowMillis));
        }
        return transitions;
    }

    private HealthState target() {
        return switch (state) {
            case UNKNOWN -> successes >= settings.rise() ? HealthState.UP
                    : failures >= settings.fall() ? HealthState.DOWN : HealthState.UNKNOWN;
            case UP -> failures >= settings.fall() ? HealthState.DOWN : HealthState.UP;
            case DOWN -> successes >= settings.rise() ? HealthState.UP : HealthState.DOWN;
            case HELD_DOWN -> HealthState.HELD_DOWN;
        };
    }

    /** Counts this change (unless it leaves UNKNOWN) and says whether it is one too many. */
    private boolean flapping(long nowMillis) {
        if (state == HealthState.UNKNOWN) {
            return false;
        }
        transitionTimes.addLast(nowMillis);
        while (!transitionTimes.isEmpty() && transitionTimes.peekFirst() <= nowMillis - settings.windowMillis()) {
            transitionTimes.removeFirst();
        }
        return transitionTimes.size() > settings.maxTransitions();
    }

    private Transition holdDown(long nowMillis) {
        String why = "flapping: " + transitionTimes.size() + " transitions in " + duration(settings.windowMillis())
                + ", held down for " + duration(settings.holdDownMillis());
        transitionTimes.clear();
        heldUntilMillis = nowMillis + settings.holdDownMillis();
        return move(HealthState.HELD_DOWN, why, nowMillis);
    }

    private Transition move(HealthState to, String why, long nowMillis) {
        Transition t = new Transition(state, to, why, nowMillis);
        state = to;
        sinceMillis = nowMillis;
        reason = why;
        successes = 0;
        failures = 0;
        return t;
    }

    public HealthState state() {
        return state;
    }

    public long sinceMillis() {
        return sinceMillis;
    }

    public String reason() {
        return reason;
    }

    static String duration(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }
}
