"""Pure mapping logic: field masters, transforms (money, dates), aging and credit status."""
