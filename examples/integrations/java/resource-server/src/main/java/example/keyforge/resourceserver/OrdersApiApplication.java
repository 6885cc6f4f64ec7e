package example.keyforge.resourceserver;

import java.util.List;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** An API whose /orders route wants a keyforge token with the orders:read scope. */
@SpringBootApplication
@RestController
public class OrdersApiApplication {

	public static void main(String[] args) {
		SpringApplication.run(OrdersApiApplication.class, args);
	}

	@GetMapping("/orders")
	Map<String, Object> orders(Authentication caller) {
		return Map.of("caller", caller.getName(), "orders", List.of());
	}

	/** Any valid token for this API, whatever its scopes. */
	@GetMapping("/me")
	Map<String, Object> me(Authentication caller) {
		return Map.of("caller", caller.getName());
	}

}
