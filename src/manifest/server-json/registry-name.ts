/**
 * A DNS label (lower-case letters, digits, '-', 1–63, starting with a letter) made from
 * the last segment of a registry name, because metadata.name must be one.
 * Never empty: a name with nothing usable becomes "imported-server".
 * @example dnsLabelFromRegistryName('io.github.acme/Weather_API') // "weather-api"
 */
export function dnsLabelFromRegistryName(registryName: string): string {
  const last = registryName.split('/').at(-1) ?? '';
  const label = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'imported-server' : label;
}
