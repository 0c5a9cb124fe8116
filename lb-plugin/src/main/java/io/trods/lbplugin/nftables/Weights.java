package io.trods.lbplugin.nftables;

import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** How a service's weights become nftables map ranges: only the ratios survive. */
final class Weights {

    private Weights() {}

    /** The members that get new connections (weight above 0), in table order. */
    static List<Map.Entry<Endpoint, Integer>> eligible(TableService service) {
        return service.backends().entrySet().stream().filter(e -> e.getValue() > 0).collect(Collectors.toList());
    }

    static int commonDivisor(List<Map.Entry<Endpoint, Integer>> members) {
        BigInteger gcd = BigInteger.ZERO;
        for (Map.Entry<Endpoint, Integer> m : members) {
            gcd = gcd.gcd(BigInteger.valueOf(m.getValue()));
        }
        return gcd.signum() == 0 ? 1 : gcd.intValue();
    }
}
