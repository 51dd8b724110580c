/**
 * Value pools for the synthetic corpus: the text values a question may name and the gold query
 * quotes. Values are written as a database would store them (capitalised names, no quotes or
 * apostrophes, so a value is always one plain SQL string literal). Some pools are compositions of
 * smaller word lists (first × last names, adjective × noun titles, city × mascot teams): large
 * pools from a small vocabulary, which keeps the tokens a model must know few.
 */

const FIRST_NAMES = [
  'Alice', 'Bruno', 'Carla', 'David', 'Elena', 'Felix', 'Grace', 'Hugo', 'Irene', 'Jonas', 'Karen', 'Louis', 'Maria', 'Nina',
  'Oscar', 'Paula', 'Quentin', 'Rosa', 'Samuel', 'Tina', 'Victor', 'Wendy', 'Xavier', 'Yasmin', 'Zoe', 'Adam', 'Bella', 'Chris',
  'Diana', 'Ethan', 'Fiona', 'George', 'Hannah', 'Ivan', 'Julia', 'Kevin', 'Laura', 'Martin', 'Nora', 'Peter',
] as const;

const LAST_NAMES = [
  'Smith', 'Martin', 'Garcia', 'Rossi', 'Novak', 'Silva', 'Berg', 'Kowalski', 'Dubois', 'Weber', 'Jensen', 'Lopez', 'Moreau',
  'Fischer', 'Costa', 'Nguyen', 'Khan', 'Tanaka', 'Olsen', 'Brown', 'Meyer', 'Ricci', 'Santos', 'Lambert', 'Walker', 'Young',
  'Hill', 'Scott', 'Green', 'Baker', 'Adams', 'Clark', 'Lewis', 'Wright', 'Hall', 'Allen', 'King', 'Turner', 'Parker', 'Evans',
] as const;

const CITIES = [
  'Paris', 'London', 'Berlin', 'Madrid', 'Rome', 'Vienna', 'Prague', 'Lisbon', 'Dublin', 'Oslo', 'Warsaw', 'Athens', 'Zurich',
  'Milan', 'Lyon', 'Munich', 'Hamburg', 'Porto', 'Seville', 'Boston', 'Chicago', 'Denver', 'Seattle', 'Austin', 'Toronto',
  'Montreal', 'Sydney', 'Melbourne', 'Tokyo', 'Osaka', 'Seoul', 'Delhi', 'Cairo', 'Nairobi', 'Lagos', 'Lima', 'Bogota',
  'Santiago', 'Dallas', 'Miami', 'Atlanta', 'Phoenix', 'Houston', 'Geneva', 'Brussels', 'Amsterdam', 'Stockholm', 'Helsinki',
  'New York', 'San Diego', 'Buenos Aires', 'Cape Town', 'Hong Kong', 'Mexico City',
] as const;

const COUNTRIES = [
  'France', 'Germany', 'Spain', 'Italy', 'Portugal', 'Austria', 'Poland', 'Greece', 'Sweden', 'Norway', 'Denmark', 'Finland',
  'Ireland', 'Canada', 'Mexico', 'Brazil', 'Chile', 'Peru', 'Japan', 'China', 'India', 'Egypt', 'Kenya', 'Nigeria', 'Australia',
  'Belgium', 'Netherlands', 'Switzerland', 'Argentina', 'Colombia', 'United States', 'United Kingdom', 'South Korea',
] as const;

const NATIONALITIES = [
  'French', 'German', 'Spanish', 'Italian', 'Portuguese', 'Austrian', 'Polish', 'Greek', 'Swedish', 'Norwegian', 'Danish',
  'Finnish', 'Irish', 'Canadian', 'Mexican', 'Brazilian', 'Chilean', 'Japanese', 'Chinese', 'Indian', 'Egyptian', 'Kenyan',
  'Nigerian', 'Australian', 'Belgian', 'Dutch', 'Swiss', 'American', 'British', 'Korean',
] as const;

const SUBJECTS = [
  'Algebra', 'Biology', 'Chemistry', 'Physics', 'History', 'Geography', 'Literature', 'Economics', 'Statistics', 'Philosophy',
  'Art', 'Music', 'Calculus', 'Geometry', 'Spanish', 'French', 'German', 'Latin', 'Drama', 'Psychology', 'Sociology', 'Astronomy',
  'Computer Science', 'Political Science', 'World History', 'Creative Writing',
] as const;

const SCHOOL_DEPARTMENTS = ['Science', 'Mathematics', 'Humanities', 'Arts', 'Languages', 'Social Studies', 'Technology', 'Sports'] as const;
const SEMESTERS = ['Fall', 'Spring', 'Summer', 'Winter'] as const;

const PRODUCTS = [
  'Desk Lamp', 'Coffee Mug', 'Wireless Mouse', 'Yoga Mat', 'Water Bottle', 'Backpack', 'Notebook', 'Headphones', 'Keyboard',
  'Monitor', 'Phone Case', 'Tea Kettle', 'Frying Pan', 'Cutting Board', 'Blender', 'Toaster', 'Running Shoes', 'Rain Jacket',
  'Wool Scarf', 'Sunglasses', 'Wall Clock', 'Table Fan', 'Pillow', 'Blanket', 'Candle', 'Picture Frame', 'Board Game',
  'Puzzle', 'Football', 'Tennis Racket', 'Bicycle Helmet', 'Camera', 'Tripod', 'Printer', 'Router', 'Speaker', 'Smart Watch',
  'Tablet', 'Laptop Stand', 'Office Chair', 'Bookshelf', 'Garden Hose', 'Plant Pot', 'Shampoo', 'Toothbrush', 'Hand Cream',
] as const;

const PRODUCT_CATEGORIES = ['Electronics', 'Books', 'Toys', 'Garden', 'Kitchen', 'Sports', 'Clothing', 'Beauty', 'Office', 'Home', 'Music', 'Health'] as const;
const ORDER_STATUSES = ['Pending', 'Shipped', 'Delivered', 'Cancelled', 'Returned'] as const;

const TITLE_ADJECTIVES = [
  'Silent', 'Golden', 'Broken', 'Hidden', 'Last', 'Lost', 'Crimson', 'Midnight', 'Endless', 'Wild', 'Quiet', 'Frozen', 'Distant',
  'Secret', 'Burning', 'Silver', 'Electric', 'Dark', 'Bright', 'Little', 'Long', 'Blue', 'Empty', 'Sweet', 'Lonely',
] as const;
const TITLE_NOUNS = [
  'River', 'Garden', 'Empire', 'Horizon', 'Shadow', 'Dream', 'Storm', 'Road', 'City', 'Moon', 'Island', 'Forest', 'Kingdom',
  'Letter', 'Mirror', 'Ocean', 'Song', 'Fire', 'Winter', 'Summer', 'Night', 'Heart', 'Train', 'House', 'Sky',
] as const;

const BOOK_GENRES = ['Fantasy', 'Mystery', 'Romance', 'Science Fiction', 'History', 'Biography', 'Poetry', 'Horror', 'Thriller', 'Travel', 'Cooking', 'Philosophy'] as const;
const FILM_GENRES = ['Drama', 'Comedy', 'Action', 'Horror', 'Thriller', 'Documentary', 'Animation', 'Romance', 'Western', 'Musical', 'Fantasy', 'Crime'] as const;
const MUSIC_GENRES = ['Rock', 'Jazz', 'Pop', 'Blues', 'Classical', 'Hip Hop', 'Folk', 'Metal', 'Reggae', 'Country', 'Electronic', 'Soul'] as const;

const MEDICAL_DEPARTMENTS = [
  'Cardiology', 'Neurology', 'Oncology', 'Pediatrics', 'Radiology', 'Surgery', 'Emergency', 'Orthopedics', 'Dermatology',
  'Psychiatry', 'Urology', 'Gynecology', 'Ophthalmology', 'Geriatrics',
] as const;
const APPOINTMENT_STATUSES = ['Scheduled', 'Completed', 'Cancelled', 'Missed'] as const;

const AIRCRAFT_MODELS = [
  'Boeing 737', 'Boeing 747', 'Boeing 777', 'Boeing 787', 'Airbus A320', 'Airbus A321', 'Airbus A330', 'Airbus A350', 'Airbus A380',
  'Embraer E190', 'ATR 72', 'Bombardier Q400',
] as const;
const SEAT_CLASSES = ['Economy', 'Premium Economy', 'Business', 'First'] as const;

const TEAM_MASCOTS = ['Hawks', 'Lions', 'Tigers', 'Bears', 'Wolves', 'Eagles', 'Sharks', 'Rangers', 'Rovers', 'United', 'Falcons', 'Giants', 'Kings', 'Panthers', 'Comets', 'Storm'] as const;
const POSITIONS = ['Goalkeeper', 'Defender', 'Midfielder', 'Forward', 'Winger', 'Striker'] as const;
const GAME_RESULTS = ['Win', 'Loss', 'Draw'] as const;

const COMPANY_DEPARTMENTS = ['Sales', 'Marketing', 'Finance', 'Engineering', 'Research', 'Legal', 'Support', 'Operations', 'Design', 'Logistics', 'Purchasing', 'Security'] as const;
const JOB_TITLES = [
  'Engineer', 'Manager', 'Analyst', 'Designer', 'Accountant', 'Technician', 'Consultant', 'Clerk', 'Developer', 'Director',
  'Assistant', 'Recruiter', 'Architect', 'Scientist',
] as const;
const PROJECT_NAMES = [
  'Apollo', 'Atlas', 'Phoenix', 'Orion', 'Mercury', 'Titan', 'Nova', 'Zephyr', 'Aurora', 'Falcon', 'Horizon', 'Pegasus', 'Quasar',
  'Vega', 'Nimbus', 'Polaris', 'Comet', 'Everest', 'Summit', 'Beacon', 'Cascade', 'Echo', 'Galaxy', 'Lynx',
] as const;
const PROJECT_ROLES = ['Lead', 'Developer', 'Tester', 'Analyst', 'Reviewer', 'Advisor'] as const;

const CUISINES = ['Italian', 'French', 'Japanese', 'Mexican', 'Indian', 'Thai', 'Chinese', 'Greek', 'Spanish', 'Turkish', 'Korean', 'Lebanese', 'Vietnamese', 'American'] as const;
const RESTAURANT_WORDS = ['Golden', 'Blue', 'Red', 'Green', 'Silver', 'Little', 'Old', 'Happy', 'Royal', 'Hidden', 'Lucky', 'Wild'] as const;
const RESTAURANT_NOUNS = ['Spoon', 'Fork', 'Lantern', 'Olive', 'Table', 'Kitchen', 'Garden', 'Oven', 'Bistro', 'Dragon', 'Lemon', 'Pepper'] as const;
const DISHES = [
  'Caesar Salad', 'Tomato Soup', 'Beef Stew', 'Pad Thai', 'Fish Tacos', 'Chicken Curry', 'Mushroom Risotto', 'Apple Pie',
  'Chocolate Cake', 'Lentil Soup', 'Grilled Salmon', 'Lasagna', 'Ramen', 'Sushi Platter', 'Falafel Wrap', 'Greek Salad',
  'Onion Soup', 'Paella', 'Burrito', 'Cheeseburger', 'Fried Rice', 'Dumplings', 'Pancakes', 'Ice Cream', 'Lemon Tart',
  'Roast Chicken', 'Veggie Burger', 'Clam Chowder', 'Spring Rolls', 'Garlic Bread',
] as const;
const DISH_CATEGORIES = ['Starter', 'Main', 'Dessert', 'Side', 'Drink'] as const;
const ROLE_TYPES = ['Lead', 'Supporting', 'Cameo'] as const;

function cross(a: readonly string[], b: readonly string[]): string[] {
  return a.flatMap((x) => b.map((y) => `${x} ${y}`));
}

/** Every pool by name. Composite pools are spelled out once, at module load. */
export const POOLS = {
  person: cross(FIRST_NAMES, LAST_NAMES),
  city: CITIES,
  country: COUNTRIES,
  nationality: NATIONALITIES,
  subject: SUBJECTS,
  schoolDepartment: SCHOOL_DEPARTMENTS,
  semester: SEMESTERS,
  product: PRODUCTS,
  productCategory: PRODUCT_CATEGORIES,
  orderStatus: ORDER_STATUSES,
  title: cross(TITLE_ADJECTIVES, TITLE_NOUNS),
  bookGenre: BOOK_GENRES,
  filmGenre: FILM_GENRES,
  musicGenre: MUSIC_GENRES,
  medicalDepartment: MEDICAL_DEPARTMENTS,
  appointmentStatus: APPOINTMENT_STATUSES,
  aircraftModel: AIRCRAFT_MODELS,
  seatClass: SEAT_CLASSES,
  team: cross(CITIES.filter((c) => !c.includes(' ')), TEAM_MASCOTS),
  position: POSITIONS,
  gameResult: GAME_RESULTS,
  companyDepartment: COMPANY_DEPARTMENTS,
  jobTitle: JOB_TITLES,
  project: PROJECT_NAMES,
  projectRole: PROJECT_ROLES,
  cuisine: CUISINES,
  restaurant: cross(RESTAURANT_WORDS, RESTAURANT_NOUNS),
  dish: DISHES,
  dishCategory: DISH_CATEGORIES,
  roleType: ROLE_TYPES,
} as const satisfies Record<string, readonly string[]>;

export type PoolName = keyof typeof POOLS;
