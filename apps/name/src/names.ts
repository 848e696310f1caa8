// First names served by GET /; any one will do, the point is seeing which task answered.
export const FIRST_NAMES: readonly string[] = [
  "Sophia",
  "Liam",
  "Olivia",
  "Noah",
  "Emma",
  "Mateo",
  "Amelia",
  "Elijah",
  "Ava",
  "Lucas",
  "Mia",
  "Levi",
  "Isla",
  "Kai",
  "Aria",
  "Ezra",
  "Nora",
  "Leo",
  "Zoe",
  "Hugo",
  "Chloe",
  "Arjun",
  "Maya",
  "Yuki",
  "Amara",
  "Ines",
  "Omar",
  "Freya",
  "Tariq",
  "Lena",
];

export function pickName(random: () => number = Math.random): string {
  return FIRST_NAMES[Math.floor(random() * FIRST_NAMES.length) % FIRST_NAMES.length];
}

export function nameAnswer(name: string, taskName: string): string {
  return `${name} (from ${taskName})`;
}
