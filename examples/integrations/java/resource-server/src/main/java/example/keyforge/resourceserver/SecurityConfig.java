package example.keyforge.resourceserver;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtTypeValidator;
import org.springframework.security.web.SecurityFilterChain;

@Configuration
public class SecurityConfig {

	/** keyforge tokens are RFC 9068 JWTs (typ: at+jwt); Spring Security 7 accepts only typ JWT unless told. */
	@Bean
	@Profile("!omit-at-jwt-validator") // the tests' switch: proves the application fails without it
	JwtTypeValidator atJwtTypeValidator() {
		return new JwtTypeValidator("at+jwt", "application/at+jwt");
	}

	@Bean
	@Profile("jwt")
	SecurityFilterChain jwtChain(HttpSecurity http) throws Exception {
		return common(http).oauth2ResourceServer((rs) -> rs.jwt(Customizer.withDefaults())).build();
	}

	@Bean
	@Profile("opaque")
	SecurityFilterChain opaqueChain(HttpSecurity http) throws Exception {
		return common(http).oauth2ResourceServer((rs) -> rs.opaqueToken(Customizer.withDefaults())).build();
	}

	private static HttpSecurity common(HttpSecurity http) throws Exception {
		return http
			.authorizeHttpRequests((auth) -> auth.requestMatchers("/orders").hasAuthority("SCOPE_orders:read")
				// Errors keep their status (a failed introspection is a 500, not a second 401).
				.requestMatchers("/error").permitAll()
				.anyRequest().authenticated())
			.sessionManagement((s) -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.csrf((csrf) -> csrf.disable());
	}

}
