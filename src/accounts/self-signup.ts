/** Why an address may not sign up by itself, in words; undefined when it may. */
export function selfSignUpProblem(email: string, domains: string[]): string | undefined {
  const match = /^[^@\s]{1,64}@([A-Za-z0-9.-]{1,253})$/.exec(email);
  if (!match) return 'Enter your e-mail address, like name@example.com.';
  const domain = match[1]!.toLowerCase();
  if (domains.length && !domains.includes(domain)) {
    return `Sign-up is open to addresses at ${domains.join(', ')} only. Ask an administrator for an invitation.`;
  }
  return undefined;
}
