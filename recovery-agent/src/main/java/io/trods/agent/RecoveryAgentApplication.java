package io.trods.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration;

/**
 * The recovery agent. Boot's observation of every Lettuce command is left out: building its tags
 * and looking its meter up per command was 40% of the Redis I/O thread's samples under 1 KiB
 * keep-alive load (JFR), on the cores the packets need; the agent times its saves itself.
 */
@SpringBootApplication(exclude = LettuceObservationAutoConfiguration.class)
public class RecoveryAgentApplication {

    public static void main(String[] args) {
        SpringApplication.run(RecoveryAgentApplication.class, args);
    }
}
