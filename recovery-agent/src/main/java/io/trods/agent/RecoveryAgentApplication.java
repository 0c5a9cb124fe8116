package io.trods.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration;

/**
 * The recovery agent. Boot's observation of every Lettuce command is left out: building its tags
 * and looking its meter up per command was 40% of the Redis I/O thread's samples under 1 KiB
 * keep-alive load (JFR), on the cores the packets need; the agent times its saves itself.
 * Netty's buffer leak detector is off unless asked for ({@code -Dio.netty.leakDetection.level}):
 * at its default level it records a stack trace for one Redis buffer in 128, about 140 a second
 * on the Redis thread under that load, to find leaks the agent's tests would show.
 */
@SpringBootApplication(exclude = LettuceObservationAutoConfiguration.class)
public class RecoveryAgentApplication {

    public static void main(String[] args) {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        SpringApplication.run(RecoveryAgentApplication.class, args);
    }
}
