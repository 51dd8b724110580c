/**
 * The domain catalogue: ten everyday databases, each a handful of tables linked by foreign keys,
 * with more columns and name variants than any one schema instance uses.
 */
import type { ColumnSpec, DomainSpec } from './catalogue';

// Columns several domains share.
const personName: ColumnSpec = { names: ['name', 'full_name'], role: 'label', pool: 'person', required: true, eq: ['named {v}', 'called {v}'] };
const city: ColumnSpec = { names: ['city', 'home_city'], role: 'category', pool: 'city', eq: ['from {v}', 'in {v}', 'living in {v}'] };
const country: ColumnSpec = { names: ['country'], role: 'category', pool: 'country', eq: ['from {v}'] };
const nationality: ColumnSpec = { names: ['nationality'], role: 'category', pool: 'nationality' };
const age = (lo: number, hi: number): ColumnSpec => ({ names: ['age'], role: 'level', range: [lo, hi], discrete: true, most: ['oldest'], least: ['youngest'], gt: ['older than {v}'], lt: ['younger than {v}'] });
const birthYear = (lo: number, hi: number): ColumnSpec => ({ names: ['birth_year', 'year_of_birth'], role: 'year', range: [lo, hi], discrete: true, phrases: ['year of birth'], gt: ['born after {v}'], lt: ['born before {v}'], most: ['youngest'], least: ['oldest'] });
const salary = (lo: number, hi: number, step: number): ColumnSpec => ({
  names: ['salary', 'pay', 'annual_salary'],
  role: 'amount',
  range: [lo, hi],
  step,
  gt: ['earning more than {v}', 'paid more than {v}'],
  lt: ['earning less than {v}', 'paid less than {v}'],
  most: ['highest-paid', 'best-paid'],
  least: ['lowest-paid'],
});
const experience: ColumnSpec = { names: ['years_experience', 'experience_years'], role: 'level', range: [1, 40], discrete: true, phrases: ['years of experience', 'experience'], most: ['most experienced'], least: ['least experienced'] };
const title: ColumnSpec = { names: ['title', 'name'], role: 'label', pool: 'title', required: true, eq: ['titled {v}', 'called {v}'] };

export const DOMAINS: readonly DomainSpec[] = [
  {
    name: 'school',
    tables: [
      {
        id: 'student',
        names: ['student', ['students', 'student'], 'pupil'],
        nouns: [['student', 'students'], ['pupil', 'pupils']],
        label: 'alone',
        columns: [
          personName,
          city,
          age(15, 30),
          { names: ['gpa', 'grade_average'], role: 'level', range: [1, 4], step: 0.5, real: true, phrases: ['grade point average', 'GPA', 'average grade'] },
          { names: ['enrollment_year', 'start_year'], role: 'year', range: [2010, 2024], discrete: true, phrases: ['year of enrollment'], gt: ['enrolled after {v}'], lt: ['enrolled before {v}'] },
          { names: ['birth_date', 'date_of_birth'], role: 'date', range: [1995, 2010], phrases: ['date of birth', 'birthday'], gt: ['born after {v}'], lt: ['born before {v}'], most: ['youngest'], least: ['oldest'] },
        ],
      },
      {
        id: 'teacher',
        names: ['teacher', ['teachers', 'teacher'], 'instructor'],
        nouns: [['teacher', 'teachers'], ['instructor', 'instructors']],
        label: 'alone',
        columns: [
          personName,
          { names: ['subject', 'main_subject'], role: 'category', pool: 'subject', eq: ['teaching {v}'] },
          salary(30000, 120000, 1000),
          { names: ['hire_date', 'start_date'], role: 'date', range: [1990, 2024], phrases: ['date of hire', 'start date'], gt: ['hired after {v}'], lt: ['hired before {v}'], most: ['most recently hired'], least: ['longest-serving'] },
          age(25, 67),
        ],
      },
      {
        id: 'course',
        names: ['course', ['courses', 'course'], ['classes', 'class']],
        nouns: [['course', 'courses'], ['class', 'classes']],
        label: 'before',
        columns: [
          { names: ['title', 'name'], role: 'label', pool: 'subject', required: true },
          { names: ['credits', 'credit_points'], role: 'level', range: [1, 6], discrete: true, phrases: ['number of credits', 'credit points'] },
          { names: ['department', 'faculty'], role: 'category', pool: 'schoolDepartment' },
          { names: ['capacity', 'max_students'], role: 'amount', range: [10, 200], step: 10, phrases: ['maximum number of students'], most: ['largest'], least: ['smallest'] },
        ],
        parents: [{ table: 'teacher', c2p: ['taught by', 'given by'], p2c: ['teaching', 'who teach'] }],
      },
      {
        id: 'enrollment',
        names: ['enrollment', ['enrollments', 'enrollment'], 'registration'],
        nouns: [['enrollment', 'enrollments'], ['registration', 'registrations']],
        columns: [
          { names: ['score', 'grade', 'final_score'], role: 'level', range: [0, 100], step: 5, phrases: ['mark'] },
          { names: ['semester', 'term'], role: 'category', pool: 'semester' },
          { names: ['enrollment_date', 'registration_date'], role: 'date', range: [2010, 2024], phrases: ['date of enrollment'] },
        ],
        parents: [
          { table: 'student', c2p: ['of', 'made by'], p2c: ['with'] },
          { table: 'course', c2p: ['in', 'for'], p2c: ['with'] },
        ],
        bridge: { ab: ['enrolled in', 'taking', 'registered for'], ba: ['taken by', 'attended by'] },
      },
    ],
  },
  {
    name: 'shop',
    tables: [
      {
        id: 'customer',
        names: ['customer', ['customers', 'customer'], 'client'],
        nouns: [['customer', 'customers'], ['client', 'clients']],
        label: 'alone',
        columns: [
          personName,
          city,
          country,
          age(18, 85),
          { names: ['signup_date', 'join_date'], role: 'date', range: [2005, 2024], phrases: ['registration date', 'date joined'], gt: ['who joined after {v}'], lt: ['who joined before {v}'] },
        ],
      },
      {
        id: 'product',
        names: ['product', ['products', 'product'], 'item'],
        nouns: [['product', 'products'], ['item', 'items']],
        columns: [
          { names: ['name', 'product_name'], role: 'label', pool: 'product', required: true, eq: ['called {v}'] },
          { names: ['category', 'product_category'], role: 'category', pool: 'productCategory', eq: ['in the {v} category'] },
          { names: ['price', 'unit_price', 'list_price'], role: 'amount', range: [2, 900], step: 5, real: true, gt: ['costing more than {v}', 'more expensive than {v}'], lt: ['costing less than {v}', 'cheaper than {v}'], most: ['most expensive'], least: ['cheapest'] },
          { names: ['stock', 'quantity_in_stock'], role: 'amount', range: [0, 500], step: 10, phrases: ['units in stock', 'stock level'] },
          { names: ['rating', 'avg_rating'], role: 'level', range: [1, 5], step: 0.5, real: true, phrases: ['customer rating'], most: ['best-rated'], least: ['worst-rated'] },
        ],
      },
      {
        id: 'orders',
        names: [['orders', 'order'], ['purchases', 'purchase'], ['sales', 'sale']],
        nouns: [['order', 'orders'], ['purchase', 'purchases']],
        columns: [
          { names: ['order_date', 'purchase_date'], role: 'date', range: [2015, 2024], phrases: ['date'], gt: ['placed after {v}'], lt: ['placed before {v}'], most: ['most recent'], least: ['earliest'] },
          { names: ['status', 'order_status'], role: 'category', pool: 'orderStatus' },
          { names: ['total', 'total_amount', 'amount'], role: 'amount', range: [5, 2000], step: 5, real: true, phrases: ['total amount', 'order total'], most: ['largest'], least: ['smallest'] },
        ],
        parents: [{ table: 'customer', c2p: ['placed by', 'made by'], p2c: ['who placed', 'with'] }],
      },
      {
        id: 'order_item',
        names: ['order_item', ['order_items', 'order_item'], 'order_line'],
        nouns: [['order item', 'order items'], ['order line', 'order lines']],
        columns: [
          { names: ['quantity', 'qty'], role: 'amount', range: [1, 20], discrete: true, phrases: ['number of units'] },
          { names: ['discount', 'discount_percent'], role: 'level', range: [0, 50], step: 5, phrases: ['discount percentage'] },
        ],
        parents: [
          { table: 'orders', c2p: ['in', 'belonging to'], p2c: ['with'] },
          { table: 'product', c2p: ['for'], p2c: ['with'] },
        ],
        bridge: { ab: ['containing', 'that include'], ba: ['included in', 'bought in'] },
      },
    ],
  },
  {
    name: 'library',
    tables: [
      {
        id: 'author',
        names: ['author', ['authors', 'author'], 'writer'],
        nouns: [['author', 'authors'], ['writer', 'writers']],
        label: 'alone',
        columns: [personName, nationality, birthYear(1900, 1995), country],
      },
      {
        id: 'book',
        names: ['book', ['books', 'book'], 'publication'],
        nouns: [['book', 'books']],
        columns: [
          title,
          { names: ['genre', 'category'], role: 'category', pool: 'bookGenre' },
          { names: ['pages', 'page_count', 'num_pages'], role: 'amount', range: [80, 1200], step: 20, phrases: ['number of pages'], most: ['longest'], least: ['shortest'] },
          { names: ['publish_year', 'publication_year', 'year'], role: 'year', range: [1900, 2024], discrete: true, phrases: ['year of publication'], gt: ['published after {v}'], lt: ['published before {v}'], most: ['newest', 'most recent'], least: ['oldest'] },
          { names: ['price', 'list_price'], role: 'amount', range: [5, 80], step: 5, real: true, most: ['most expensive'], least: ['cheapest'] },
        ],
        parents: [{ table: 'author', c2p: ['written by', 'by'], p2c: ['who wrote', 'with'] }],
      },
      {
        id: 'member',
        names: ['member', ['members', 'member'], 'borrower'],
        nouns: [['member', 'members'], ['borrower', 'borrowers']],
        label: 'alone',
        columns: [
          personName,
          city,
          age(12, 90),
          { names: ['join_date', 'membership_date'], role: 'date', range: [2000, 2024], phrases: ['date joined'], gt: ['who joined after {v}'], lt: ['who joined before {v}'] },
        ],
      },
      {
        id: 'loan',
        names: ['loan', ['loans', 'loan'], 'borrowing'],
        nouns: [['loan', 'loans']],
        columns: [
          { names: ['loan_date', 'borrow_date'], role: 'date', range: [2015, 2024], phrases: ['date borrowed'], most: ['most recent'], least: ['earliest'] },
          { names: ['days', 'loan_days', 'duration_days'], role: 'amount', range: [1, 60], discrete: true, phrases: ['number of days', 'loan period'] },
          { names: ['fine', 'late_fee'], role: 'amount', range: [0, 40], step: 1, real: true, phrases: ['late fee'] },
        ],
        parents: [
          { table: 'member', c2p: ['by', 'made by'], p2c: ['with'] },
          { table: 'book', c2p: ['of'], p2c: ['with'] },
        ],
        bridge: { ab: ['who borrowed'], ba: ['borrowed by'] },
      },
    ],
  },
  {
    name: 'hospital',
    tables: [
      {
        id: 'department',
        names: ['department', ['departments', 'department'], 'ward'],
        nouns: [['department', 'departments'], ['ward', 'wards']],
        label: 'before',
        columns: [
          { names: ['name', 'department_name'], role: 'label', pool: 'medicalDepartment', required: true },
          { names: ['floor', 'floor_number'], role: 'level', range: [1, 12], discrete: true, eq: ['on floor {v}'] },
          { names: ['budget', 'annual_budget'], role: 'amount', range: [100000, 5000000], step: 50000, most: ['largest'], least: ['smallest'] },
          { names: ['beds', 'bed_count'], role: 'amount', range: [5, 120], step: 5, phrases: ['number of beds'] },
        ],
      },
      {
        id: 'doctor',
        names: ['doctor', ['doctors', 'doctor'], 'physician'],
        nouns: [['doctor', 'doctors'], ['physician', 'physicians']],
        label: 'alone',
        columns: [
          personName,
          { names: ['specialty', 'speciality'], role: 'category', pool: 'medicalDepartment', phrases: ['field'] },
          experience,
          salary(60000, 400000, 5000),
        ],
        parents: [{ table: 'department', c2p: ['working in', 'in'], p2c: ['employing', 'with'] }],
      },
      {
        id: 'patient',
        names: ['patient', ['patients', 'patient']],
        nouns: [['patient', 'patients']],
        label: 'alone',
        columns: [
          personName,
          age(1, 95),
          city,
          { names: ['admission_date', 'admitted_date'], role: 'date', range: [2010, 2024], phrases: ['date of admission'], gt: ['admitted after {v}'], lt: ['admitted before {v}'], most: ['most recently admitted'], least: ['earliest admitted'] },
        ],
      },
      {
        id: 'appointment',
        names: ['appointment', ['appointments', 'appointment'], 'visit'],
        nouns: [['appointment', 'appointments'], ['visit', 'visits']],
        columns: [
          { names: ['appointment_date', 'visit_date'], role: 'date', range: [2018, 2024], phrases: ['date'], most: ['most recent'], least: ['earliest'] },
          { names: ['fee', 'cost'], role: 'amount', range: [20, 500], step: 10, real: true, phrases: ['price'] },
          { names: ['status'], role: 'category', pool: 'appointmentStatus' },
        ],
        parents: [
          { table: 'patient', c2p: ['of', 'for'], p2c: ['with'] },
          { table: 'doctor', c2p: ['with'], p2c: ['with'] },
        ],
        bridge: { ab: ['treated by', 'who saw'], ba: ['who treated', 'who saw'] },
      },
    ],
  },
  {
    name: 'airline',
    tables: [
      {
        id: 'aircraft',
        names: ['aircraft', 'plane', 'airplane'],
        nouns: [['aircraft', 'aircraft'], ['plane', 'planes']],
        columns: [
          { names: ['model', 'aircraft_model'], role: 'label', pool: 'aircraftModel', required: true },
          { names: ['capacity', 'seats'], role: 'amount', range: [50, 550], step: 10, phrases: ['number of seats', 'seating capacity'], most: ['largest'], least: ['smallest'] },
          { names: ['year_built', 'build_year'], role: 'year', range: [1980, 2023], discrete: true, phrases: ['year of manufacture'], gt: ['built after {v}'], lt: ['built before {v}'], most: ['newest'], least: ['oldest'] },
          { names: ['range_km', 'max_range'], role: 'amount', range: [1000, 15000], step: 500, phrases: ['range', 'maximum range'] },
        ],
      },
      {
        id: 'flight',
        names: ['flight', ['flights', 'flight']],
        nouns: [['flight', 'flights']],
        columns: [
          { names: ['origin', 'departure_city'], role: 'category', pool: 'city', phrases: ['origin city'], eq: ['from {v}', 'departing from {v}'] },
          { names: ['destination', 'arrival_city'], role: 'category', pool: 'city', phrases: ['destination city'], eq: ['to {v}', 'going to {v}'] },
          { names: ['departure_date', 'flight_date'], role: 'date', range: [2020, 2024], phrases: ['date'], gt: ['departing after {v}'], lt: ['departing before {v}'], most: ['latest'], least: ['earliest'] },
          { names: ['distance', 'distance_km'], role: 'amount', range: [100, 15000], step: 100, most: ['longest'], least: ['shortest'] },
          { names: ['price', 'ticket_price'], role: 'amount', range: [50, 2000], step: 10, real: true, phrases: ['fare'], most: ['most expensive'], least: ['cheapest'] },
        ],
        parents: [{ table: 'aircraft', c2p: ['flown by', 'operated with'], p2c: ['used for', 'flying'] }],
      },
      {
        id: 'passenger',
        names: ['passenger', ['passengers', 'passenger'], 'traveler'],
        nouns: [['passenger', 'passengers'], ['traveler', 'travelers']],
        label: 'alone',
        columns: [personName, nationality, age(1, 90), city],
      },
      {
        id: 'booking',
        names: ['booking', ['bookings', 'booking'], 'reservation', 'ticket'],
        nouns: [['booking', 'bookings'], ['reservation', 'reservations']],
        columns: [
          { names: ['seat_class', 'travel_class'], role: 'category', pool: 'seatClass', phrases: ['class'], eq: ['in {v} class'] },
          { names: ['fare', 'price_paid'], role: 'amount', range: [50, 3000], step: 10, real: true, phrases: ['amount paid'] },
          { names: ['booking_date', 'reservation_date'], role: 'date', range: [2019, 2024], phrases: ['date booked'] },
        ],
        parents: [
          { table: 'passenger', c2p: ['made by', 'for'], p2c: ['with'] },
          { table: 'flight', c2p: ['on', 'for'], p2c: ['with'] },
        ],
        bridge: { ab: ['booked on', 'flying on'], ba: ['booked by', 'carrying'] },
      },
    ],
  },
  {
    name: 'film',
    tables: [
      {
        id: 'director',
        names: ['director', ['directors', 'director'], 'filmmaker'],
        nouns: [['director', 'directors'], ['filmmaker', 'filmmakers']],
        label: 'alone',
        columns: [personName, nationality, birthYear(1930, 1995), country],
      },
      {
        id: 'movie',
        names: ['movie', ['movies', 'movie'], 'film', ['films', 'film']],
        nouns: [['movie', 'movies'], ['film', 'films']],
        columns: [
          title,
          { names: ['genre'], role: 'category', pool: 'filmGenre' },
          { names: ['release_year', 'year'], role: 'year', range: [1950, 2024], discrete: true, phrases: ['year of release'], gt: ['released after {v}'], lt: ['released before {v}'], most: ['newest', 'most recent'], least: ['oldest'] },
          { names: ['duration', 'runtime', 'length_minutes'], role: 'amount', range: [70, 200], step: 5, phrases: ['running time', 'length'], most: ['longest'], least: ['shortest'] },
          { names: ['rating', 'imdb_rating'], role: 'level', range: [1, 10], step: 0.5, real: true, phrases: ['score'], most: ['best-rated', 'highest-rated'], least: ['worst-rated', 'lowest-rated'] },
          { names: ['budget', 'production_budget'], role: 'amount', range: [1000000, 300000000], step: 1000000, most: ['most expensive'], least: ['cheapest'] },
        ],
        parents: [{ table: 'director', c2p: ['directed by', 'made by'], p2c: ['who directed', 'who made'] }],
      },
      {
        id: 'actor',
        names: ['actor', ['actors', 'actor'], 'performer'],
        nouns: [['actor', 'actors'], ['performer', 'performers']],
        label: 'alone',
        columns: [personName, nationality, birthYear(1930, 2005), { names: ['awards', 'award_count'], role: 'amount', range: [0, 20], discrete: true, phrases: ['number of awards'] }],
      },
      {
        id: 'casting',
        names: ['casting', ['castings', 'casting'], 'movie_cast', 'appearance'],
        nouns: [['casting', 'castings'], ['appearance', 'appearances']],
        columns: [
          { names: ['role_type', 'part'], role: 'category', pool: 'roleType', phrases: ['role'] },
          { names: ['fee', 'payment'], role: 'amount', range: [10000, 5000000], step: 10000, phrases: ['pay'] },
        ],
        parents: [
          { table: 'movie', c2p: ['in', 'for'], p2c: ['with'] },
          { table: 'actor', c2p: ['of', 'by'], p2c: ['with'] },
        ],
        bridge: { ab: ['starring', 'featuring'], ba: ['who appeared in', 'starring in'] },
      },
    ],
  },
  {
    name: 'sports',
    tables: [
      {
        id: 'team',
        names: ['team', ['teams', 'team'], 'club'],
        nouns: [['team', 'teams'], ['club', 'clubs']],
        label: 'alone',
        columns: [
          { names: ['name', 'team_name'], role: 'label', pool: 'team', required: true },
          { names: ['city', 'home_city'], role: 'category', pool: 'city', eq: ['from {v}', 'based in {v}'] },
          { names: ['founded_year', 'year_founded'], role: 'year', range: [1870, 2015], discrete: true, phrases: ['founding year'], gt: ['founded after {v}'], lt: ['founded before {v}'], most: ['youngest'], least: ['oldest'] },
          { names: ['stadium_capacity', 'capacity'], role: 'amount', range: [5000, 90000], step: 1000, phrases: ['stadium size'] },
        ],
      },
      {
        id: 'player',
        names: ['player', ['players', 'player'], 'athlete'],
        nouns: [['player', 'players'], ['athlete', 'athletes']],
        label: 'alone',
        columns: [
          personName,
          { names: ['position', 'playing_position'], role: 'category', pool: 'position' },
          age(17, 40),
          { names: ['goals', 'goals_scored'], role: 'amount', range: [0, 40], discrete: true, phrases: ['number of goals'] },
          salary(50000, 5000000, 10000),
          nationality,
        ],
        parents: [{ table: 'team', c2p: ['playing for', 'of'], p2c: ['with'] }],
      },
      {
        id: 'coach',
        names: ['coach', ['coaches', 'coach'], 'manager'],
        nouns: [['coach', 'coaches'], ['manager', 'managers']],
        label: 'alone',
        columns: [personName, nationality, age(30, 75), experience],
        parents: [{ table: 'team', c2p: ['of', 'coaching'], p2c: ['coached by'] }],
      },
      {
        id: 'game',
        names: ['game', ['games', 'game'], 'match', ['matches', 'match']],
        nouns: [['game', 'games'], ['match', 'matches']],
        columns: [
          { names: ['game_date', 'match_date'], role: 'date', range: [2015, 2024], phrases: ['date'], gt: ['played after {v}'], lt: ['played before {v}'], most: ['most recent'], least: ['earliest'] },
          { names: ['opponent', 'opponent_team'], role: 'category', pool: 'team', eq: ['against {v}'] },
          { names: ['attendance', 'crowd'], role: 'amount', range: [1000, 90000], step: 1000, phrases: ['number of spectators'], most: ['best-attended'], least: ['least attended'] },
          { names: ['goals_scored', 'score'], role: 'amount', range: [0, 8], discrete: true, phrases: ['goals'] },
          { names: ['result', 'outcome'], role: 'category', pool: 'gameResult' },
        ],
        parents: [{ table: 'team', c2p: ['played by'], p2c: ['that played'] }],
      },
    ],
  },
  {
    name: 'company',
    tables: [
      {
        id: 'department',
        names: ['department', ['departments', 'department'], ['dept', 'dept'], 'division'],
        nouns: [['department', 'departments'], ['division', 'divisions']],
        label: 'before',
        columns: [
          { names: ['name', 'dept_name'], role: 'label', pool: 'companyDepartment', required: true },
          { names: ['budget', 'annual_budget'], role: 'amount', range: [50000, 5000000], step: 50000, most: ['largest'], least: ['smallest'] },
          { names: ['location', 'city'], role: 'category', pool: 'city', eq: ['located in {v}', 'based in {v}'] },
        ],
      },
      {
        id: 'employee',
        names: ['employee', ['employees', 'employee'], 'staff', 'worker'],
        nouns: [['employee', 'employees'], ['staff member', 'staff members'], ['worker', 'workers']],
        label: 'alone',
        columns: [
          personName,
          { names: ['job_title', 'position', 'role'], role: 'category', pool: 'jobTitle', phrases: ['title', 'job'], eq: ['working as {v}'] },
          salary(25000, 200000, 1000),
          { names: ['hire_date', 'start_date'], role: 'date', range: [1995, 2024], phrases: ['date of hire'], gt: ['hired after {v}'], lt: ['hired before {v}'], most: ['most recently hired'], least: ['longest-serving'] },
          age(20, 67),
          city,
        ],
        parents: [{ table: 'department', c2p: ['working in', 'in', 'from'], p2c: ['employing', 'with'] }],
      },
      {
        id: 'project',
        names: ['project', ['projects', 'project']],
        nouns: [['project', 'projects']],
        label: 'before',
        columns: [
          { names: ['name', 'project_name', 'code_name'], role: 'label', pool: 'project', required: true },
          { names: ['budget', 'project_budget'], role: 'amount', range: [10000, 2000000], step: 10000, most: ['largest'], least: ['smallest'] },
          { names: ['start_date', 'kickoff_date'], role: 'date', range: [2010, 2024], phrases: ['starting date'], gt: ['started after {v}'], lt: ['started before {v}'], most: ['newest'], least: ['oldest'] },
        ],
        parents: [{ table: 'department', c2p: ['run by', 'of'], p2c: ['running', 'with'] }],
      },
      {
        id: 'assignment',
        names: ['assignment', ['assignments', 'assignment'], 'works_on'],
        nouns: [['assignment', 'assignments']],
        columns: [
          { names: ['hours', 'weekly_hours'], role: 'amount', range: [1, 60], discrete: true, phrases: ['hours per week', 'number of hours'] },
          { names: ['role', 'project_role'], role: 'category', pool: 'projectRole' },
        ],
        parents: [
          { table: 'employee', c2p: ['of', 'for'], p2c: ['with'] },
          { table: 'project', c2p: ['on', 'to'], p2c: ['with'] },
        ],
        bridge: { ab: ['assigned to', 'working on'], ba: ['staffed by', 'involving'] },
      },
    ],
  },
  {
    name: 'restaurant',
    tables: [
      {
        id: 'restaurant',
        names: ['restaurant', ['restaurants', 'restaurant'], 'eatery'],
        nouns: [['restaurant', 'restaurants']],
        label: 'alone',
        columns: [
          { names: ['name', 'restaurant_name'], role: 'label', pool: 'restaurant', required: true },
          { names: ['city', 'location'], role: 'category', pool: 'city', eq: ['in {v}', 'located in {v}'] },
          { names: ['cuisine', 'cuisine_type'], role: 'category', pool: 'cuisine', phrases: ['type of food'], eq: ['serving {v} food'] },
          { names: ['rating', 'stars'], role: 'level', range: [1, 5], step: 0.5, real: true, most: ['best-rated', 'highest-rated'], least: ['worst-rated'] },
          { names: ['opened_year', 'year_opened'], role: 'year', range: [1950, 2024], discrete: true, phrases: ['opening year'], gt: ['opened after {v}'], lt: ['opened before {v}'], most: ['newest'], least: ['oldest'] },
          { names: ['seats', 'seating_capacity'], role: 'amount', range: [10, 300], step: 10, phrases: ['number of seats'], most: ['largest'], least: ['smallest'] },
        ],
      },
      {
        id: 'dish',
        names: ['dish', ['dishes', 'dish'], 'menu_item'],
        nouns: [['dish', 'dishes'], ['menu item', 'menu items']],
        columns: [
          { names: ['name', 'dish_name'], role: 'label', pool: 'dish', required: true, eq: ['called {v}'] },
          { names: ['category', 'course'], role: 'category', pool: 'dishCategory', phrases: ['kind of dish'] },
          { names: ['price'], role: 'amount', range: [3, 60], step: 1, real: true, gt: ['costing more than {v}', 'more expensive than {v}'], lt: ['costing less than {v}', 'cheaper than {v}'], most: ['most expensive'], least: ['cheapest'] },
          { names: ['calories', 'kcal'], role: 'amount', range: [50, 1500], step: 50, phrases: ['calorie count', 'energy'] },
        ],
        parents: [{ table: 'restaurant', c2p: ['served at', 'from', 'on the menu of'], p2c: ['serving'] }],
      },
      {
        id: 'chef',
        names: ['chef', ['chefs', 'chef'], 'cook'],
        nouns: [['chef', 'chefs'], ['cook', 'cooks']],
        label: 'alone',
        columns: [personName, nationality, experience, salary(20000, 150000, 1000)],
        parents: [{ table: 'restaurant', c2p: ['working at', 'at'], p2c: ['employing', 'with'] }],
      },
      {
        id: 'review',
        names: ['review', ['reviews', 'review']],
        nouns: [['review', 'reviews']],
        columns: [
          { names: ['stars', 'score'], role: 'level', range: [1, 5], discrete: true, phrases: ['star rating', 'rating'] },
          { names: ['review_date', 'visit_date'], role: 'date', range: [2015, 2024], phrases: ['date'], most: ['most recent'], least: ['earliest'] },
          { names: ['reviewer', 'reviewer_name'], role: 'label', pool: 'person', phrases: ['name of the reviewer'] },
        ],
        parents: [{ table: 'restaurant', c2p: ['of', 'about'], p2c: ['with'] }],
      },
    ],
  },
  {
    name: 'music',
    tables: [
      {
        id: 'artist',
        names: ['artist', ['artists', 'artist'], 'musician'],
        nouns: [['artist', 'artists'], ['musician', 'musicians']],
        label: 'alone',
        columns: [
          personName,
          country,
          { names: ['genre', 'main_genre'], role: 'category', pool: 'musicGenre', phrases: ['style'] },
          { names: ['debut_year', 'first_year'], role: 'year', range: [1950, 2022], discrete: true, phrases: ['year of debut'], gt: ['who debuted after {v}'], lt: ['who debuted before {v}'] },
        ],
      },
      {
        id: 'album',
        names: ['album', ['albums', 'album'], 'record'],
        nouns: [['album', 'albums'], ['record', 'records']],
        columns: [
          title,
          { names: ['release_year', 'year'], role: 'year', range: [1960, 2024], discrete: true, phrases: ['year of release'], gt: ['released after {v}'], lt: ['released before {v}'], most: ['newest', 'most recent'], least: ['oldest'] },
          { names: ['sales', 'copies_sold'], role: 'amount', range: [1000, 5000000], step: 1000, phrases: ['number of copies sold'], most: ['best-selling'], least: ['worst-selling'] },
          { names: ['price'], role: 'amount', range: [5, 40], step: 1, real: true, most: ['most expensive'], least: ['cheapest'] },
        ],
        parents: [{ table: 'artist', c2p: ['by', 'recorded by', 'released by'], p2c: ['who released', 'with'] }],
      },
      {
        id: 'track',
        names: ['track', ['tracks', 'track'], 'song', ['songs', 'song']],
        nouns: [['track', 'tracks'], ['song', 'songs']],
        columns: [
          title,
          { names: ['duration', 'length_seconds'], role: 'amount', range: [90, 600], step: 10, phrases: ['length', 'length in seconds'], most: ['longest'], least: ['shortest'] },
          { names: ['plays', 'play_count'], role: 'amount', range: [0, 10000000], step: 1000, phrases: ['number of plays'], most: ['most played'], least: ['least played'] },
        ],
        parents: [{ table: 'album', c2p: ['on', 'from'], p2c: ['with', 'containing'] }],
      },
      {
        id: 'concert',
        names: ['concert', ['concerts', 'concert'], 'show', 'gig'],
        nouns: [['concert', 'concerts'], ['show', 'shows']],
        columns: [
          { names: ['city', 'venue_city'], role: 'category', pool: 'city', eq: ['in {v}'] },
          { names: ['concert_date', 'show_date'], role: 'date', range: [2010, 2024], phrases: ['date'], gt: ['held after {v}'], lt: ['held before {v}'], most: ['most recent'], least: ['earliest'] },
          { names: ['attendance', 'audience'], role: 'amount', range: [100, 80000], step: 100, phrases: ['number of attendees'], most: ['best-attended'], least: ['least attended'] },
          { names: ['ticket_price', 'price'], role: 'amount', range: [10, 300], step: 5, real: true, most: ['most expensive'], least: ['cheapest'] },
        ],
        parents: [{ table: 'artist', c2p: ['by', 'of'], p2c: ['who played', 'with'] }],
      },
    ],
  },
];

export const DOMAIN_NAMES: readonly string[] = DOMAINS.map((d) => d.name);
